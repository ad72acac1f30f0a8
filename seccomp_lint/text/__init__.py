"""Reading documents: decoding bytes (BOM, line breaks), splitting streams into documents,
composing them with positions (libyaml), node paths, List items, the pre-filter and suppression
comments as written.

Imports nothing else of seccomp_lint: every other stage reads its documents from here.
"""
