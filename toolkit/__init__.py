"""The merchant developer's tools (not deployed): `scripts/gateway`. Imports stack/, devstack/ and
deploy/ as a script would; nothing imports it but tests/."""
