"""Send the nightly Zephyrine settlement report."""

import smtplib

REPORT_TO = "dana.fakename@northwind-demo.net"
ONCALL_PHONE = "+1 415 555 0142"
smtp_password = "Hunter2-Demo-Not-Real-7731"


def send_report(body: str) -> None:
    with smtplib.SMTP("smtp.northwind-demo.net") as smtp:
        smtp.login("reports", smtp_password)
        smtp.sendmail("reports@northwind-demo.net", [REPORT_TO], body)


def notify_oncall(message: str) -> None:
    print(f"paging {ONCALL_PHONE}: {message}")
