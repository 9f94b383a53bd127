"""A Redis that takes TLS only (the test CA's certificate) and ACL users with passwords: the
default user is off, each service signs in as its own user, which may not run admin commands
(no FLUSHALL, CONFIG or SHUTDOWN); the admin user may (imports, tests, benchmarks)."""

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from pydantic import SecretStr

ADMIN = "admin"


@dataclass(frozen=True)
class RedisSecurity:
    ca_file: Path
    certificate_file: Path
    key_file: Path
    admin_password: str
    users: dict[str, str] = field(default_factory=dict)

    def arguments(self, port: int, workdir: Path) -> list[str]:
        acl = workdir / "users.acl"
        rules = ["user default off"]
        rules.append(f"user {ADMIN} on >{self.admin_password} ~* &* +@all")
        rules += [
            f"user {name} on >{password} ~* &* +@all -@admin -flushall -flushdb"
            for name, password in self.users.items()
        ]
        acl.write_text("\n".join(rules) + "\n")
        acl.chmod(0o600)
        return [
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--tls-cert-file",
            str(self.certificate_file),
            "--tls-key-file",
            str(self.key_file),
            "--tls-ca-cert-file",
            str(self.ca_file),
            "--tls-auth-clients",
            "no",
            "--aclfile",
            str(acl),
        ]

    def admin_url(self, port: int) -> str:
        """One URL that holds everything the admin needs (for the local providers' own
        processes, which take a URL only)."""
        return (
            f"rediss://{ADMIN}:{quote(self.admin_password)}@127.0.0.1:{port}/0"
            f"?ssl_ca_certs={quote(str(self.ca_file))}"
        )

    def client_settings(
        self, port: int, user: str = ADMIN, password: str | None = None
    ) -> dict[str, object]:
        """Settings fields with which a service signs in as `user`, as production does:
        the user in VIGIE_REDIS_URL, the password and the CA apart."""
        if password is None:
            password = self.admin_password if user == ADMIN else self.users[user]
        return {
            "redis_url": f"rediss://{user}@127.0.0.1:{port}/0",
            "redis_password": SecretStr(password),
            "redis_ca_file": self.ca_file,
        }
