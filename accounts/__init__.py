"""Accounts: the tenants (Account), their plans and what each plan allows, the
members of an account and their roles, helpdesk staff, and the actor every
write is recorded against. Also the account-wide write guard that a restore
closes (423 `restore_in_progress`).
"""
