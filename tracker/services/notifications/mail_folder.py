"""The mail folder (本地邮件目录): where emails go when no SMTP server is configured.

The embedded default: the mailer writes each notification to one .eml file named after its row
(a second delivery overwrites it), and administrators browse the newest files in the app.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default
from email.utils import parsedate_to_datetime
from pathlib import Path

import nh3
from markupsafe import Markup

# The folder is MAIL_FOLDER of the app config.
from flask import current_app

from tracker.clock import TZ

EML_NAME = re.compile(r"^notification-\d{8,}\.eml$")


def mail_folder() -> Path:
    """Where messages are written when no SMTP server is configured."""
    return Path(current_app.config["MAIL_FOLDER"])


def eml_path(notification_id: int) -> Path:
    """The one file a notification is written to (a second delivery overwrites it)."""
    return mail_folder() / f"notification-{notification_id:08d}.eml"


def write_eml(message: EmailMessage, notification_id: int) -> Path:
    """Write the message atomically (temp file + rename); a redelivery overwrites the same file."""
    folder = mail_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = eml_path(notification_id)
    temp = folder / f".{target.name}.{os.getpid()}.tmp"
    with open(temp, "wb") as handle:
        handle.write(message.as_bytes(policy=SMTP))
    os.replace(temp, target)
    return target


@dataclass
class MailFile:
    """One .eml file of the folder, as listed: name, size, time, subject and recipient."""

    name: str
    size: int
    modified: dt.datetime
    subject: str = ""
    to: str = ""


def list_mail_files(limit: int = 200) -> list[MailFile]:
    """The newest .eml files in MAIL_FOLDER with their subject and recipient."""
    folder = mail_folder()
    if not folder.is_dir():
        return []
    entries = [e for e in os.scandir(folder) if e.is_file() and EML_NAME.match(e.name)]
    entries.sort(key=lambda e: (e.stat().st_mtime, e.name), reverse=True)
    files = []
    for entry in entries[:limit]:
        stat = entry.stat()
        with open(entry.path, "rb") as handle:
            headers = BytesParser(policy=default).parse(handle, headersonly=True)
        files.append(MailFile(entry.name, stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc),
                              str(headers.get("Subject", "")), str(headers.get("To", ""))))
    return files


# What a message's HTML part may keep when it is shown in the app (nh3 drops everything else:
# scripts, event handlers, style attributes the page's CSP would refuse anyway, javascript: links).
SAFE_TAGS = {"a", "p", "br", "div", "span", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "b", "em", "i",
             "table", "thead", "tbody", "tr", "th", "td", "hr", "small", "blockquote"}
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align", "colspan"}, "th": {"align", "colspan"}}
HEADER_NAMES = (("From", "发件人"), ("To", "收件人"), ("Subject", "主题"), ("Date", "日期"))


@dataclass
class MailView:
    """One .eml file, parsed for display: headers by their Chinese names (the date in Asia/Shanghai),
    the plain text and the HTML part sanitised for showing in the page."""

    name: str
    headers: dict[str, str]
    text: str
    html_source: str

    @property
    def subject(self) -> str:
        return self.headers.get("主题", "")

    @property
    def safe_html(self) -> Markup:
        """The HTML part with only harmless tags and links left (nh3), marked safe for the template
        because it was cleaned here; empty when there is none."""
        if not self.html_source:
            return Markup("")
        return Markup(nh3.clean(self.html_source, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES,
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer"))


def _local_date(value: str) -> str:
    """A Date header as the bureau reads it: YYYY-MM-DD HH:MM in Asia/Shanghai (as is if unreadable)."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return value
    if moment is None:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def read_mail_file(name: str) -> MailView | None:
    """One .eml file, parsed; None for a name that is not a mail file of the folder."""
    if not EML_NAME.match(name or ""):
        return None
    path = mail_folder() / name
    if not path.is_file():
        return None
    with open(path, "rb") as handle:
        message = BytesParser(policy=default).parse(handle)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return MailView(
        name=name,
        headers={label: _local_date(str(message.get(h, ""))) if h == "Date" else str(message.get(h, ""))
                 for h, label in HEADER_NAMES},
        text=text_part.get_content() if text_part is not None else "",
        html_source=html_part.get_content() if html_part is not None else "",
    )
