"""Invoices as PDF (reportlab; no network, built-in fonts only)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.models import Invoice


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a one-table PDF document: header, lines with their amounts, total."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"Invoice {invoice.number}", author="Fabrikam hosting", invariant=True
    )
    styles = getSampleStyleSheet()
    account = invoice.account
    story = [
        Paragraph(f"Invoice {escape(invoice.number)}", styles["Title"]),
        Paragraph(
            f"Account: {escape(account.username)} ({escape(account.name)})<br/>"
            f"Issued: {invoice.issued_on.isoformat()}<br/>Status: {escape(invoice.get_status_display())}",
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [["Description", f"Amount ({invoice.currency})"]]
    rows += [
        [Paragraph(escape(line.description), styles["Normal"]), str(line.amount)]
        for line in invoice.lines.all()
    ]
    rows.append(["Total", str(invoice.total)])
    table = Table(rows, colWidths=[130 * mm, 35 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
