from django import forms

from .models import AlertRules


class RulesForm(forms.ModelForm):
    class Meta:
        model = AlertRules
        fields = [
            "burst_enabled", "burst_count", "burst_minutes",
            "share_enabled", "share_percent", "share_min_records",
        ]  # fmt: skip
        labels = {
            "burst_enabled": "Alert when one person deletes many records",
            "burst_count": "Number of records",
            "burst_minutes": "Within (minutes)",
            "share_enabled": "Alert when a large share of one type is deleted",
            "share_percent": "Share of the type (%)",
            "share_min_records": "Only for types with at least (records)",
        }
