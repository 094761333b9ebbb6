from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Company, User


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "company", "is_active", "is_staff"]
    list_filter = ["company", "groups", "is_active"]
    list_select_related = ["company"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Tenancy", {"fields": ["company"]}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Tenancy", {"fields": ["company"]}))
