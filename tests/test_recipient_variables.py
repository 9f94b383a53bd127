"""The recipient-variables header survives a mail writer and a mail reader unchanged."""

from email import message_from_bytes
from email.header import Header
from email.mime.text import MIMEText

from services.common import recipient_variables


def test_a_batch_header_stays_within_mail_line_limits_and_reads_back_whole() -> None:
    variables = {f"prenom.nom{i}@exemple.fr": {"token": f"tok-{i}" * 20} for i in range(500)}
    variables["élodie@exemple.fr"] = {"token": 'with spaces, commas; and "quotes"'}
    variables["long@exemple.fr"] = {"token": "x" * 2_000}  # longer than a line on its own
    # As apprise's email plugin writes a header: a Header, folded by the mail writer.
    message = MIMEText("body", "plain", "utf-8")
    value = recipient_variables.encode(variables)
    message[recipient_variables.HEADER] = Header(value, None)
    wire = message.as_bytes()

    lines = wire.split(b"\r\n") if b"\r\n" in wire else wire.split(b"\n")
    header_lines = lines[: lines.index(b"")]
    ordinary = [line for line in header_lines if b"x" * 900 not in line]
    assert all(len(line) <= 998 for line in ordinary)
    assert len(header_lines) < 250, "several recipients a line, not one"

    read = message_from_bytes(wire)[recipient_variables.HEADER]
    assert recipient_variables.decode(str(read)) == variables
