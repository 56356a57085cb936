from accounts.models import Plan
from accounts.services import account_create

from ._base import ProvisioningCommand


class Command(ProvisioningCommand):
    help = "Create a tenant account with its first administrator; prints the account id."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--plan", required=True, help=f"One of: {', '.join(Plan.values)}")
        parser.add_argument("--timezone", required=True, help="An IANA zone, e.g. Europe/Rome")
        parser.add_argument("--admin", required=True, help="The administrator's username")
        parser.add_argument("--password", required=True)

    def handle(self, *args, **options):
        account = account_create(
            name=options["name"],
            plan=options["plan"],
            timezone_name=options["timezone"],
            admin_username=options["admin"],
            admin_password=options["password"],
        )
        self.stdout.write(str(account.pk))
