"""Demo companies and users (`seed_demo`)."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import Company, Role, User

DEMO_PASSWORD = "demo-orders-2026"
DEMO_COMPANIES = [
    {"name": "Acme Corp", "slug": "acme", "currency": "EUR"},
    {"name": "Globex", "slug": "globex", "currency": "USD"},
]


# Each company's users: one per role, and a second Manager (two-Manager approval needs two).
DEMO_USERS = [(role, role.value.lower(), role.value) for role in Role] + [
    (Role.MANAGER, "manager2", "Second Manager")
]


@transaction.atomic
def seed_companies_and_users() -> list[Company]:
    """Create the demo companies and their users (`DEMO_USERS`). Idempotent."""
    companies = []
    groups = {role: Group.objects.get(name=role.value) for role in Role}
    for spec in DEMO_COMPANIES:
        company, _ = Company.objects.get_or_create(slug=spec["slug"], defaults=spec)
        companies.append(company)
        for role, name, first_name in DEMO_USERS:
            username = f"{company.slug}.{name}"
            # A reserved domain (RFC 2606), so "Forgot your password?" can be tried with them.
            email = f"{username}@{company.slug}.example"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "company": company,
                    "first_name": first_name,
                    "last_name": company.name,
                    "email": email,
                },
            )
            if not user.email:  # seeded before demo users had addresses
                user.email = email
                user.save(update_fields=["email"])
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                user.groups.add(groups[role])
    return companies
