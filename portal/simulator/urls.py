"""The simulator's URLs: the Telnyx v2 API it imitates, and its /_sim control plane."""

from django.urls import path, re_path

from portal.simulator.api import route, unrouted
from portal.simulator.views import claims, control, dirs, documents, enterprises, loa, numbers, tos

E = "v2/enterprises/<str:enterprise_id>"
D = "v2/dir/<str:dir_id>"
NUMBERS = route(POST=numbers.add, GET=numbers.list_, DELETE=numbers.remove)

urlpatterns = [
    # Terms of Service
    path("v2/terms_of_service/status", route(GET=tos.status)),
    path("v2/terms_of_service/branded_calling/agree", route(POST=tos.agree("branded_calling"))),
    path("v2/terms_of_service/number_reputation/agree", route(POST=tos.agree("number_reputation"))),
    path("v2/terms_of_service/agreements", route(GET=tos.agreement_list)),
    path("v2/terms_of_service/agreements/<str:agreement_id>", route(GET=tos.agreement_detail)),
    path("v2/terms_of_service/info", route(GET=tos.info)),
    # Enterprises
    path("v2/enterprises", route(POST=enterprises.create, GET=enterprises.list_)),
    path(E, route(GET=enterprises.retrieve, PUT=enterprises.update, DELETE=enterprises.delete)),
    path(f"{E}/branded_calling", route(POST=enterprises.activate)),
    path(f"{E}/dir", route(POST=dirs.create, GET=dirs.list_for_enterprise)),
    path(f"{E}/dir/<str:dir_id>/phone_numbers", NUMBERS),
    path(f"{E}/dir/<str:dir_id>/phone_number_batches", route(GET=numbers.batch_list)),
    path(f"{E}/dir/<str:dir_id>/phone_number_batches/<str:batch_id>", route(GET=numbers.batch_retrieve)),
    # DIRs
    path("v2/dir", route(GET=dirs.list_all)),
    path("v2/dir/document_types", route(GET=dirs.document_types)),
    path(D, route(GET=dirs.retrieve, PATCH=dirs.update, DELETE=dirs.delete)),
    path(f"{D}/submit", route(POST=dirs.submit)),
    path(f"{D}/infringement_update", route(PUT=dirs.infringement_update)),
    path(f"{D}/comments", route(GET=dirs.comment_list, POST=dirs.comment_create)),
    path(f"{D}/loa", route(POST=loa.render)),
    path(f"{D}/infringement_claims", route(GET=claims.list_for_dir)),
    path(f"{D}/phone_numbers", NUMBERS),
    path(f"{D}/phone_number_batches", route(GET=numbers.batch_list)),
    path(f"{D}/phone_number_batches/<str:batch_id>", route(GET=numbers.batch_retrieve)),
    path("v2/call_reasons", route(GET=dirs.call_reasons)),
    path("v2/call_reasons/validate", route(POST=dirs.call_reasons_validate)),
    # Claims
    path("v2/infringement_claims/<str:claim_id>", route(GET=claims.retrieve)),
    path("v2/infringement_claims/<str:claim_id>/contest", route(POST=claims.contest)),
    # Documents
    path("v2/documents", route(POST=documents.upload, GET=documents.list_)),
    path(
        "v2/documents/<str:document_id>",
        route(GET=documents.retrieve, PATCH=documents.update, DELETE=documents.delete),
    ),
    path("v2/documents/<str:document_id>/download", route(GET=documents.download)),
    path("v2/documents/<str:document_id>/download_link", route(GET=documents.download_link)),
    path("v2/document_links", route(GET=documents.link_list)),
    # Inventory
    path("v2/phone_numbers", route(GET=numbers.inventory_list)),
    path("v2/phone_numbers/actions/verify_ownership", route(POST=numbers.verify_ownership)),
    # Control plane
    path("_sim/accounts", control.accounts),
    path("_sim/accounts/<str:api_key>", route(PATCH=control.account_update)),
    path("_sim/inventory", route(POST=control.inventory)),
    path("_sim/dir/<str:dir_id>/transition", route(POST=control.dir_transition)),
    path("_sim/dir/<str:dir_id>/claims", route(POST=control.claim_file)),
    path("_sim/dir/<str:dir_id>/complete_deletion", route(POST=control.complete_deletion)),
    path("_sim/batches/<str:batch_id>/transition", route(POST=control.batch_transition)),
    path("_sim/phone_numbers/<str:number_id>/transition", route(POST=control.number_transition)),
    path("_sim/claims/<str:claim_id>/resolve", route(POST=control.claim_resolve)),
    path("_sim/webhooks/public_key", route(GET=control.public_key)),
    path("_sim/webhooks/deliveries", route(GET=control.deliveries)),
    path("_sim/webhooks/send", route(POST=control.webhook_send)),
    path("_sim/faults", route(GET=control.faults, POST=control.faults, DELETE=control.faults)),
    path("_sim/clock", route(GET=control.clock, POST=control.clock)),
    path("_sim/tick", route(POST=control.tick)),
    re_path(r"^(?P<path>.*)$", unrouted),
]
