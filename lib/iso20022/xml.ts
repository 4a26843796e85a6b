/**
 * Strict reading and writing of ISO 20022 XML documents with fast-xml-parser: a size cap before
 * parsing, no DOCTYPE (no entity expansion), well-formedness checked (a truncated file is named as
 * such), the root `Document` in the expected namespace, one message element, and every element
 * and attribute accounted for by the caller's mapping.
 */
import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";

import { InputError } from "../errors.js";

/** ISO 20022 XML that cannot be read: not XML, not the expected message, an unsupported element... */
export class Iso20022Error extends InputError {
  override name = "Iso20022Error";
  override readonly code = "INVALID_ISO20022";
}

/** A message larger than this is refused before parsing (a sese.023 is a few kilobytes). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** One parsed element: attributes under `@_name`, text under `#text`, children as arrays. */
export type XmlNode = { [key: string]: XmlNode[] | string } | string;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Every element as an array, so that a repeated element is seen and refused, not merged.
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
});

export interface MessageSpec {
  /** `sese.023`: what the message is called in errors. */
  readonly name: string;
  /** Namespace versions accepted, e.g. `["07", "08", "09", "10", "11"]`. */
  readonly versions: readonly string[];
  /** The message element under `Document`, e.g. `SctiesSttlmTxInstr`. */
  readonly element: string;
}

export interface ParsedMessage {
  /** The namespace found, e.g. `urn:iso:std:iso:20022:tech:xsd:sese.023.001.09`. */
  readonly namespace: string;
  /** The message element, with namespace prefixes removed. */
  readonly body: XmlNode;
}

export function namespaceOf(name: string, version: string): string {
  return `urn:iso:std:iso:20022:tech:xsd:${name}.001.${version}`;
}

function fail(source: string, problem: string, hint?: string): Iso20022Error {
  return new Iso20022Error(`${source}: ${problem}`, hint === undefined ? {} : { hint });
}

/** Removes `prefix:` from every element name; an element in another namespace is refused. */
function stripPrefix(node: XmlNode, prefix: string, path: string, source: string): XmlNode {
  if (typeof node === "string" || prefix === "") return node;
  // No prototype: an element named `__proto__` becomes a plain key that the mapping refuses.
  const out: { [key: string]: XmlNode[] | string } = Object.create(null);
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("@_") || key === "#text") {
      out[key] = value;
      continue;
    }
    if (!key.startsWith(`${prefix}:`)) {
      throw fail(source, `element ${path}/${key} is not in the message's namespace`);
    }
    const name = key.slice(prefix.length + 1);
    out[name] = (value as XmlNode[]).map((child) =>
      stripPrefix(child, prefix, `${path}/${name}`, source),
    );
  }
  return out;
}

/**
 * Parses `text` as the ISO 20022 message `spec`; throws an {@link Iso20022Error} that says what
 * is wrong in one line: too large, not well-formed (or truncated), a DOCTYPE, another root,
 * another namespace or message.
 */
export function parseMessage(
  text: string,
  spec: MessageSpec,
  source: string,
  maxBytes = MAX_MESSAGE_BYTES,
): ParsedMessage {
  const size = Buffer.byteLength(text, "utf8");
  if (size > maxBytes) {
    throw fail(
      source,
      `${size} bytes is more than a ${spec.name} message may have (${maxBytes})`,
      "send one instruction per message",
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") throw fail(source, "is empty", `give a ${spec.name} XML document`);
  // Defends against entity expansion ("billion laughs") and external entities: ISO 20022
  // messages never carry a DOCTYPE.
  if (/<!DOCTYPE/i.test(text))
    throw fail(source, "has a DOCTYPE, which ISO 20022 messages never carry");
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    // fast-xml-parser reports a document that ends with elements still open as the list of them.
    const open = /^Invalid '\[(.*)\]' found/s.exec(msg);
    if (open !== null) {
      const names = [...open[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
      throw fail(source, `truncated: the document ends with ${names.join("/")} still open`);
    }
    // An error in the document's last tag is most likely a cut-off file.
    const lines = text.split("\n");
    const offset = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + col - 1;
    const atEnd = !text.slice(offset + 1).includes("<");
    throw fail(
      source,
      `not well-formed XML at line ${line}, column ${col}${atEnd ? " (truncated?)" : ""}: ${msg}`,
    );
  }
  let doc: Record<string, XmlNode[]>;
  try {
    doc = parser.parse(text) as Record<string, XmlNode[]>;
  } catch (error) {
    // fast-xml-parser refuses names such as __proto__ and constructor (prototype pollution).
    throw fail(
      source,
      `cannot be read: ${error instanceof Error ? error.message.replace(/^\[SECURITY\]\s*/, "") : String(error)}`,
    );
  }
  const roots = Object.keys(doc);
  if (roots.length !== 1)
    throw fail(source, `has ${roots.length} root elements; expected one Document`);
  const root = roots[0];
  const colon = root.indexOf(":");
  const prefix = colon < 0 ? "" : root.slice(0, colon);
  const local = colon < 0 ? root : root.slice(colon + 1);
  if (local !== "Document" || doc[root].length !== 1) {
    throw fail(
      source,
      `root element ${root} is not an ISO 20022 Document`,
      `give a ${spec.name} message (a Business Application Header envelope is not read)`,
    );
  }
  const document = doc[root][0];
  if (typeof document === "string")
    throw fail(source, `Document is empty; expected ${spec.element}`);
  const namespace = document[prefix === "" ? "@_xmlns" : `@_xmlns:${prefix}`];
  if (typeof namespace !== "string") {
    throw fail(
      source,
      "Document has no namespace",
      `declare xmlns="${namespaceOf(spec.name, spec.versions.at(-1)!)}"`,
    );
  }
  const found = /^urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3})\.\d{3}\.(\d{2})$/.exec(
    namespace,
  );
  if (found === null) {
    throw fail(
      source,
      `namespace ${namespace} is not an ISO 20022 message namespace`,
      `use ${namespaceOf(spec.name, spec.versions.at(-1)!)}`,
    );
  }
  if (found[1] !== spec.name) {
    throw fail(source, `is a ${found[1]} message, not ${spec.name}`, `give a ${spec.name} message`);
  }
  if (!spec.versions.includes(found[2])) {
    throw fail(
      source,
      `version ${spec.name}.001.${found[2]} is not supported`,
      `supported: ${spec.versions.map((v) => `${spec.name}.001.${v}`).join(", ")}`,
    );
  }
  const children = Object.keys(document).filter((k) => !k.startsWith("@_"));
  const attributes = Object.keys(document).filter(
    (k) => k.startsWith("@_") && !k.startsWith("@_xmlns"),
  );
  if (attributes.length > 0)
    throw fail(source, `unsupported attribute ${attributes[0].slice(2)} on Document`);
  const element = prefix === "" ? spec.element : `${prefix}:${spec.element}`;
  if (children.length !== 1 || children[0] !== element) {
    const other = children.find((c) => c !== element && c !== "#text");
    throw fail(
      source,
      other === undefined
        ? `Document has no ${spec.element}`
        : `Document holds ${other}, not ${spec.element}: not a ${spec.name} message`,
    );
  }
  const messages = document[element] as XmlNode[];
  if (messages.length !== 1)
    throw fail(source, `Document holds ${messages.length} ${spec.element} elements; expected one`);
  return { namespace, body: stripPrefix(messages[0], prefix, spec.element, source) };
}

/** An element tree to write: children in order, `@_` attributes, `#text` text. */
export type XmlTree = { [key: string]: XmlTree | string };

/** XML text of `Document` in `namespace` holding `element`, indented, with a declaration. */
export function buildMessage(namespace: string, element: string, body: XmlTree): string {
  return builder.build({
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    Document: { "@_xmlns": namespace, [element]: body },
  }) as string;
}
