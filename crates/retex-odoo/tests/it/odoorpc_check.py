"""The fake Odoo answers as Odoo does: the odoorpc client (from PyPI) logs in and reads through it.

Run by the `the_fake_odoo_answers_the_odoorpc_client` test with the fake's port: python3 odoorpc_check.py PORT
"""
import sys

import odoorpc

odoo = odoorpc.ODOO("127.0.0.1", port=int(sys.argv[1]))
assert odoo.version.startswith("17"), odoo.version
odoo.login("shop", "admin", "odoo-password")
assert odoo.env.uid == 2, odoo.env.uid

partners = odoo.env["res.partner"].search_read([("ref", "=", "ACME")], ["name", "ref"])
assert partners == [{"id": 7, "name": "Acme Ltd", "ref": "ACME"}], partners

done = odoo.env["stock.picking"].search_count([("state", "=", "done"), ("picking_type_code", "=", "incoming")])
assert done == 1, done

orders = odoo.env["purchase.order"].search_read(
    ["|", ("state", "=", "purchase"), ("state", "=", "done")], ["name", "partner_id"], order="id asc"
)
assert orders == [{"id": 21, "name": "P00021", "partner_id": [7, "Acme Ltd"]}], orders

try:
    odoo.env["res.partner"].search_read([], ["no_such_field"])
except odoorpc.error.RPCError as error:
    assert "Invalid field" in str(error), error
else:
    raise AssertionError("an invalid field must be an error")
print("ok")
