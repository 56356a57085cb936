"""The form field partial every page uses: label, widget, help and each error
beside the field, each with an id of its own."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string


class TwoRules(forms.Form):
    code = forms.CharField(label="Code")

    def clean_code(self):
        raise forms.ValidationError(["Too short.", "Use capital letters."])


def test_each_error_of_a_field_is_beside_it_with_an_id_of_its_own():
    form = TwoRules({"code": "x"})
    assert not form.is_valid()

    html = render_to_string("partials/field.html", {"field": form["code"]})

    assert '<p class="error" id="id_code_error">Too short.</p>' in html
    assert '<p class="error" id="id_code_error_2">Use capital letters.</p>' in html
