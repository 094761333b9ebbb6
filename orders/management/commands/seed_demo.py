from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, seed_companies_and_users
from orders.demo import seed_orders
from orders.models import Order


class Command(BaseCommand):
    help = (
        "Create the demo companies (Acme Corp, Globex), one user per role in each, and demo "
        "orders made through the workflow commands. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=300, help="Orders per company.")
        parser.add_argument("--days", type=int, default=90, help="Spread orders over N days.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, orders, days, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to seed demo data with DEBUG off (this looks like production). "
                "Use --force if you really mean it."
            )
        if orders < 0 or days < 1:
            raise CommandError("--orders must be >= 0 and --days >= 1.")
        now = timezone.now().replace(microsecond=0)
        fresh = []
        for company in seed_companies_and_users():
            if Order.objects.filter(company=company).exists():
                self.stdout.write(f"{company.name}: already has orders, left as it is.")
            else:
                fresh.append(company)
        if fresh:
            written = seed_orders(fresh, orders, now=now, days=days, seed=seed)
            names = ", ".join(company.name for company in fresh)
            self.stdout.write(f"{names}: {orders} orders each, {written} events.")
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready. Log in as acme.staff / {DEMO_PASSWORD}.")
        )
