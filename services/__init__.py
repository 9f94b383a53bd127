"""Vigie services: one package per stage of the pipeline."""
