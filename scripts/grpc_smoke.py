#!/usr/bin/env python3
"""An independent (non-Rust) gRPC client that checks a running kandas service end to end.

It knows nothing of the service but what reflection tells it. Run it against the service
started with `cargo run --release` from the repository root:

    pip install grpcio grpcio-reflection grpcio-health-checking
    python3 scripts/grpc_smoke.py [--addr localhost:50051] [--certs .kandas/certs]
"""
import argparse
import datetime
import sys
import uuid

import grpc
from google.protobuf import descriptor_pool, json_format
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

SERVICES = ["Person", "Application", "Quota", "Support", "Prerequisite", "Audit", "Admin"]
VALID = ["871008401427", "760212350620", "800416300257", "830717350867", "061211600012"]
INVALID = ["000813159890"]


def channel(addr, certs, role):
    read = lambda name: open(f"{certs}/{name}", "rb").read()
    creds = grpc.ssl_channel_credentials(
        root_certificates=read("ca.pem"),
        private_key=read(f"{role}.key") if role else None,
        certificate_chain=read(f"{role}.pem") if role else None,
    )
    return grpc.secure_channel(addr, creds, options=[("grpc.ssl_target_name_override", "localhost")])


class Kandas:
    """Calls kandas RPCs with messages built from reflected descriptors."""

    def __init__(self, ch):
        self.ch = ch
        self.pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(ch))

    def call(self, service, method, body):
        svc = self.pool.FindServiceByName(f"kandas.v1.{service}")
        m = svc.FindMethodByName(method)
        req_cls = GetMessageClass(m.input_type)
        resp_cls = GetMessageClass(m.output_type)
        stub = self.ch.unary_unary(
            f"/kandas.v1.{service}/{method}",
            request_serializer=lambda msg: msg.SerializeToString(),
            response_deserializer=resp_cls.FromString,
        )
        reply = stub(json_format.ParseDict(body, req_cls()), timeout=10)
        return json_format.MessageToDict(reply, preserving_proto_field_name=True)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="localhost:50051")
    ap.add_argument("--certs", default=".kandas/certs")
    args = ap.parse_args()

    psc = channel(args.addr, args.certs, "psc")
    status = health_pb2_grpc.HealthStub(psc).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    check(status.status == health_pb2.HealthCheckResponse.SERVING, "health is SERVING")

    k = Kandas(psc)
    names = list(ProtoReflectionDescriptorDatabase(psc).get_services())
    for s in SERVICES:
        check(f"kandas.v1.{s}Service" in names, f"reflection lists kandas.v1.{s}Service")

    for iin in VALID:
        check(k.call("PersonService", "ValidateIin", {"iin": iin}).get("valid") is True, f"ValidateIin {iin} valid")
    for iin in INVALID:
        r = k.call("PersonService", "ValidateIin", {"iin": iin})
        check(not r.get("valid") and r.get("invalid_reason") == "IIN_NEVER_ISSUED", f"ValidateIin {iin} invalid")

    person = k.call("PersonService", "RegisterPerson", {
        "request_id": str(uuid.uuid4()),
        "person": {"surname": "Nurlanova", "given_name": "Aigerim",
                   "birth_date": {"year": 1990, "month": 3, "day": 14}, "sex": "FEMALE",
                   "citizenship": "MNG", "ethnic_kazakh": True},
    })
    check(person["name"].startswith("persons/"), "RegisterPerson")
    expiry = (datetime.date.today() + datetime.timedelta(days=3650))
    app = k.call("ApplicationService", "SubmitApplication", {
        "request_id": str(uuid.uuid4()), "applicant": person["name"], "iin_assignment": {},
        "documents": [{"type": "IDENTITY_DOCUMENT", "form": "ORIGINAL", "language": "mn",
                       "translation": {"language": "kk", "notarized": True}, "number": "E0000001",
                       "issuing_country": "MNG",
                       "expiry_date": {"year": expiry.year, "month": expiry.month, "day": expiry.day}}],
    })
    check(app.get("state") == "SUBMITTED", "SubmitApplication")

    portal = Kandas(channel(args.addr, args.certs, "portal"))
    try:
        portal.call("ApplicationService", "DecideApplication",
                    {"request_id": str(uuid.uuid4()), "name": app["name"], "approve": {}})
        check(False, "portal DecideApplication is refused")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.PERMISSION_DENIED, "portal DecideApplication is PERMISSION_DENIED")

    decided = k.call("ApplicationService", "DecideApplication",
                     {"request_id": str(uuid.uuid4()), "name": app["name"], "etag": app["etag"], "approve": {}})
    iin = decided["decision"]["iin_assignment"]["iin"]
    check(decided["state"] == "APPROVED" and iin.startswith("9003144"), "DecideApplication assigns an IIN encoding 1990-03-14, female")
    back = k.call("PersonService", "GetPerson", {"name": person["name"]})
    check(back.get("iin") == iin, "GetPerson reads the IIN back")
    check(k.call("PersonService", "ValidateIin", {"iin": iin}).get("valid") is True, "the assigned IIN is valid")

    try:
        nocert = channel(args.addr, args.certs, None)
        health_pb2_grpc.HealthStub(nocert).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        check(False, "no certificate, no service")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.UNAVAILABLE, "no certificate, no service")
    print("all checks passed")


if __name__ == "__main__":
    main()
