// Walks a front office's IIN path with the official Connect clients for Node: registers a
// person, submits an IIN application, approves it and reads the person back, then makes one
// malformed call. Prints one JSON object for the Rust test to check.
//
// node iin-path.mjs <connect|grpc-web> <https://host:port> <descriptor set> <certificate dir> <surname>
//
// The descriptor set is the one the server's reflection serves, so no code is generated: the
// clients are built from the contract at run time.
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";

const [protocol, baseUrl, descriptorPath, certDir, surname] = process.argv.slice(2);
const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, readFileSync(descriptorPath)),
);
const tls = {
  ca: readFileSync(`${certDir}/ca.pem`),
  cert: readFileSync(`${certDir}/psc.pem`),
  key: readFileSync(`${certDir}/psc.key`),
};
// Connect in JSON over HTTP/2, gRPC-Web in binary over HTTP/1.1: both HTTP versions and both
// encodings reach the same port.
const transport =
  protocol === "connect"
    ? createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions: tls })
    : createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions: tls, useBinaryFormat: true });

const service = (name) => createClient(registry.getService(`kandas.v1.${name}`), transport);
const enumValue = (enumName, valueName) => {
  const value = registry.getEnum(`kandas.v1.${enumName}`).values.find((v) => v.name === valueName);
  if (!value) throw new Error(`${enumName} has no value ${valueName}`);
  return value.number;
};
const enumName = (enumName, number) =>
  registry.getEnum(enumName).values.find((v) => v.number === number)?.name ?? String(number);

const persons = service("PersonService");
const applications = service("ApplicationService");
const date = (year, month, day) => ({ year, month, day });

const registerRequest = {
  requestId: randomUUID(),
  person: {
    surname,
    givenName: "Aidos",
    birthDate: date(1987, 10, 8),
    sex: enumValue("Sex", "SEX_MALE"),
    citizenship: "CHN",
    ethnicKazakh: true,
  },
};
const person = await persons.registerPerson(registerRequest);
const again = await persons.registerPerson(registerRequest);

const submitted = await applications.submitApplication({
  requestId: randomUUID(),
  applicant: person.name,
  details: { procedure: { case: "iinAssignment", value: {} } },
  documents: [
    {
      type: enumValue("DocumentType", "DOCUMENT_TYPE_IDENTITY_DOCUMENT"),
      form: enumValue("DocumentForm", "DOCUMENT_FORM_ORIGINAL"),
      language: "zh",
      translation: { language: "ru", notarized: true },
      number: "E12345678",
      issuingCountry: "CHN",
      expiryDate: date(2030, 1, 14),
    },
  ],
});
const approved = await applications.decideApplication({
  requestId: randomUUID(),
  name: submitted.name,
  etag: submitted.etag,
  decision: { case: "approve", value: {} },
});
const read = await persons.getPerson({ name: person.name });

let refusal = null;
try {
  await persons.registerPerson({ requestId: "not-a-uuid", person: {} });
} catch (error) {
  const connectError = ConnectError.from(error);
  const badRequest = registry.getMessage("google.rpc.BadRequest");
  const errorInfo = registry.getMessage("google.rpc.ErrorInfo");
  refusal = {
    code: Code[connectError.code],
    fields: connectError.findDetails(badRequest).flatMap((d) => d.fieldViolations.map((v) => v.field)),
    reasons: connectError.findDetails(errorInfo).map((d) => d.reason),
  };
}

console.log(
  JSON.stringify({
    person: person.name,
    repeated: again.name,
    submitted: enumName("kandas.v1.Application.State", submitted.state),
    approved: enumName("kandas.v1.Application.State", approved.state),
    iin: read.iin,
    refusal,
  }),
);
