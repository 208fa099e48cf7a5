def test_account_and_enterprise(sim):
    e = sim.activated_enterprise()
    assert e["branded_calling_enabled"] is True
    d = sim.verified_dir(enterprise_id=e["id"])
    assert d["status"] == "verified"
