"""Wijkkaart: the sociale kaart API."""
