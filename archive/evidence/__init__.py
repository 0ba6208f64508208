"""Signed evidence: WACZ packages signed per WACZ 1.1.1 "Signing and Verification", and checked.

``keys.py`` loads and makes the signer's key, ``sign.py`` adds the ``signedData`` block to a
WACZ that ``archive/read/export.py`` wrote, ``verify.py`` checks the signature, the manifest and
every WARC record's digest and says what that proves.
"""
