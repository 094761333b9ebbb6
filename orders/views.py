from django.http import HttpResponse


def order_list(request):
    return HttpResponse("orders")


def order_create(request):
    return HttpResponse("new")
