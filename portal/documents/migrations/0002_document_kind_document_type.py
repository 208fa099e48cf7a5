"""Document.kind holds Telnyx's document_type (DocumentType), no longer the portal's own loa/other."""

from django.db import migrations, models


def kinds_forward(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    Document.objects.filter(kind="loa").update(kind="letter_of_authorization")


def kinds_backward(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    Document.objects.filter(kind="letter_of_authorization").update(kind="loa")
    Document.objects.exclude(kind="loa").update(kind="other")


# Frozen here as they were when written: a migration never imports the app's current choices.
DOCUMENT_TYPES = [
    ("business_registration", "Business registration"),
    ("articles_of_incorporation", "Articles of incorporation"),
    ("certificate_of_good_standing", "Certificate of good standing"),
    ("ein_letter", "EIN letter (IRS CP 575 / 147C)"),
    ("tax_document", "Tax document"),
    ("trademark_registration", "Trademark registration"),
    ("website_ownership", "Website ownership"),
    ("business_license", "Business license"),
    ("professional_license", "Professional license"),
    ("government_id", "Government ID"),
    ("utility_bill", "Utility bill"),
    ("bank_statement", "Bank statement"),
    ("business_credit_report", "Business credit report"),
    ("bank_reference_letter", "Bank reference letter"),
    ("letter_of_authorization", "Letter of authorization"),
    ("other", "Other (reviewed by a person)"),
]


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [
        migrations.AlterField(
            "document",
            "kind",
            models.CharField(choices=DOCUMENT_TYPES, default="letter_of_authorization", max_length=32),
        ),
        migrations.RunPython(kinds_forward, kinds_backward),
    ]
