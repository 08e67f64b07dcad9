/**
 * The subdomain-source kind: a paged API whose rows name hosts under the target domain. The kind
 * does what every such source repeats — strips wildcards, canonicalizes, keeps only names under the
 * domain, merges a name seen in many rows — so a source only says where its names are in a row.
 */
import { Option, type Schema } from "effect"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"
import { type ModuleHeader, pagedModule, type Pages } from "./PagedApi.js"
import type { PageRequest } from "./Request.js"
import * as Rows from "./Rows.js"

/** A name a source gives as a label under the domain (`www`, `*.dev`, `""` for the domain itself), in full. */
export const labelUnder = (label: string, domain: string): string => {
  const text = label.trim().replace(/\.$/, "")
  return text === "" ? domain : `${text}.${domain}`
}

/** One name as a source wrote it: maybe `*.`-prefixed, upper case, with a trailing dot or surrounding spaces. */
export const canonicalName = (raw: string): Option.Option<{ readonly name: string; readonly wildcard: boolean }> => {
  const text = raw.trim().toLowerCase()
  const wildcard = text.startsWith("*.")
  return Option.map(
    finding("DOMAIN", text.replace(/^(\*\.)+/, ""), { confidence: 0 }),
    (parsed) => ({ name: parsed.value, wildcard })
  )
}

export interface NamesOptions {
  readonly confidence: number
  /** At most this many rows' evidence is kept per name. */
  readonly maxEvidence?: number
  readonly metadata?: Readonly<Record<string, unknown>>
}

/** The in-scope names of the rows, once each (sorted), with how many rows named each and a few rows' evidence. */
export const subdomainFindings = <Row>(
  rows: ReadonlyArray<Row>,
  domain: string,
  names: (row: Row, domain: string) => Iterable<string>,
  evidence: (row: Row) => Readonly<Record<string, unknown>> | undefined,
  options: NamesOptions
): ReadonlyArray<Finding> => {
  const seen = new Map<
    string,
    { wildcard: boolean; rows: number; evidence: Array<Readonly<Record<string, unknown>>> }
  >()
  for (const row of rows) {
    const inRow = new Set<string>()
    for (const raw of names(row, domain)) {
      const parsed = canonicalName(raw)
      if (Option.isNone(parsed) || !inScope(parsed.value.name, domain)) continue
      const current = seen.get(parsed.value.name) ?? { wildcard: false, rows: 0, evidence: [] }
      current.wildcard ||= parsed.value.wildcard
      if (!inRow.has(parsed.value.name)) {
        inRow.add(parsed.value.name)
        current.rows++
        const proof = evidence(row)
        if (proof !== undefined && current.evidence.length < (options.maxEvidence ?? 5)) current.evidence.push(proof)
      }
      seen.set(parsed.value.name, current)
    }
  }
  return Array.from(seen, ([value, item]): Finding => ({
    type: "DOMAIN",
    value,
    confidence: options.confidence,
    source_data: item.evidence.length === 0 ? {} : { evidence: item.evidence },
    metadata: { ...options.metadata, wildcard: item.wildcard, seen_in: item.rows }
  })).sort((a, b) => a.value.localeCompare(b.value))
}

export interface SubdomainSpec<Config, Encoded extends Readonly<Record<string, unknown>>, Body, Row, RowEncoded>
  extends ModuleHeader<Config, Encoded>, Omit<Pages<Config, Body, Row>, "request">
{
  /** The first request for the (canonical) domain. */
  readonly request: (domain: string, config: Config) => PageRequest
  /** How one row reads; a row that does not is skipped and counted. */
  readonly row: Schema.Schema<Row, RowEncoded, never>
  /** The names a row holds; `domain` is the target's, for sources that give labels under it (see `labelUnder`). */
  readonly names: (row: NoInfer<Row>, domain: string) => Iterable<string>
  /** What of a row to keep as the evidence of its names (e.g. a certificate id); nothing when left out. */
  readonly evidence?: (row: NoInfer<Row>) => Readonly<Record<string, unknown>> | undefined
  /** 0..1; 0.7 when left out (a third party's word that the name existed). */
  readonly confidence?: number
}

/** A module from a subdomain-source description: DOMAIN in, DOMAIN out. */
export const subdomainSource = <Config, Encoded extends Readonly<Record<string, unknown>>, Body, Row, RowEncoded>(
  spec: SubdomainSpec<Config, Encoded, Body, Row, RowEncoded>
) =>
  pagedModule<Config, Encoded, Body, Row>({
    ...spec,
    input_types: ["DOMAIN"],
    output_types: ["DOMAIN"],
    decodeRow: Rows.schema(spec.row),
    request: (target, config) => spec.request(target.value, config),
    findings: (rows, target) =>
      subdomainFindings(rows, target.value, spec.names, spec.evidence ?? (() => undefined), {
        confidence: spec.confidence ?? 0.7
      })
  })
