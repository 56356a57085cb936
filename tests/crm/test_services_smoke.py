"""Every write leaves its History event in the same transaction (R1)."""

from crm_history.models import Event
from tests.factories import actor_for, make


def test_r1_a_created_contact_has_its_create_event(acme, alice):
    contact = make(acme, "contact", actor=actor_for(alice))
    event = Event.objects.get(entity_type="contact", entity_id=contact.pk)
    assert event.action == "create"
    assert event.actor_name == "alice"
    assert event.title == "Mario Rossi"
