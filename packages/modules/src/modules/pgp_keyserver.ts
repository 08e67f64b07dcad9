/**
 * pgp_keyserver: the email addresses of a domain in the user IDs of public OpenPGP keys, from an
 * HKP keyserver's machine-readable index (`GET {base}/pks/lookup?op=index&options=mr&search={domain}`,
 * draft-shaw-openpgp-hkp): `pub:<fingerprint>:<algo>:<bits>:<created>:<expires>:<flags>` lines, each
 * followed by its `uid:<escaped user id>:<created>:<expires>:<flags>` lines. 404 is no keys. A user ID
 * without an address is skipped and counted; addresses outside the domain are left out.
 */
import { Either, Option, Predicate } from "effect"
import { NoConfig, pagedModule } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

/** One user ID line with the key it belongs to. */
export interface KeyUid {
  readonly fingerprint: string
  /** The key's flags: `r` revoked, `d` disabled, `e` expired. */
  readonly keyFlags: string
  readonly uid: string
}

const isKeyUid = (raw: unknown): raw is KeyUid =>
  Predicate.isRecord(raw) && typeof raw["uid"] === "string" && typeof raw["fingerprint"] === "string" &&
  typeof raw["keyFlags"] === "string"

/** The index's uid lines, each with its key's fingerprint and flags. */
export const keyUids = (lines: ReadonlyArray<string>): ReadonlyArray<KeyUid> => {
  const uids: Array<KeyUid> = []
  let key: { fingerprint: string; keyFlags: string } | undefined
  for (const line of lines) {
    const fields = line.split(":")
    if (fields[0] === "pub") key = { fingerprint: fields[1] ?? "", keyFlags: fields[6] ?? "" }
    if (fields[0] === "uid" && key !== undefined) uids.push({ ...key, uid: fields[1] ?? "" })
  }
  return uids
}

/** A user ID (`Alice Example <alice@example.com>`, %-escaped in the index) as its name and address. */
export const readUid = (row: KeyUid) => {
  // A lone `%` not followed by hex is kept as sent.
  const text = Either.getOrElse(Either.try(() => decodeURIComponent(row.uid)), () => row.uid)
  const address = /<([^<>\s]+@[^<>\s]+)>/.exec(text)?.[1] ?? (/^\S+@\S+$/.test(text.trim()) ? text.trim() : undefined)
  const email = address === undefined ? Option.none() : finding("EMAIL", address, { confidence: 0 })
  if (Option.isNone(email)) return undefined
  const name = text.replace(/<[^>]*>/, "").trim()
  return { ...row, email: email.value.value, name }
}
type ReadUid = NonNullable<ReturnType<typeof readUid>>

export const keyFindings = (uids: ReadonlyArray<ReadUid>, domain: string): ReadonlyArray<Finding> => {
  const found = new Map<string, { names: Set<string>; keys: Set<string>; live: boolean }>()
  for (const uid of uids) {
    if (!inScope(uid.email.slice(uid.email.lastIndexOf("@") + 1), domain)) continue
    const current = found.get(uid.email) ?? { names: new Set(), keys: new Set(), live: false }
    if (uid.name !== "") current.names.add(uid.name)
    current.keys.add(uid.fingerprint)
    current.live ||= !/[rde]/.test(uid.keyFlags)
    found.set(uid.email, current)
  }
  return Array.from(found, ([value, { keys, live, names }]): Finding => ({
    type: "EMAIL",
    value,
    // A revoked or expired key's address was real once, maybe no longer.
    confidence: live ? 0.8 : 0.6,
    source_data: { keys: Array.from(keys).sort() },
    metadata: { names: Array.from(names).sort(), current_key: live }
  })).sort((a, b) => a.value.localeCompare(b.value))
}

export const pgpKeyserver = pagedModule({
  name: "pgp_keyserver",
  title: "PGP keyserver",
  description: "Finds email addresses of a domain in public OpenPGP keys on an HKP keyserver",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["EMAIL"],
  source: {
    id: "pgp_keyserver",
    name: "OpenPGP keyserver (HKP)",
    // Hockeypuck searches user IDs by words; keys.openpgp.org only matches whole addresses.
    baseUrl: "https://keyserver.ubuntu.com",
    rateLimit: { requests: 1, perSeconds: 2, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.lines,
  request: (target) => ({ path: "/pks/lookup", query: { op: "index", options: "mr", search: target.value } }),
  empty: [404],
  rows: keyUids,
  decodeRow: Rows.from(
    (raw) => (isKeyUid(raw) ? readUid(raw) : undefined),
    "a user ID holds no email address"
  ),
  findings: (uids: ReadonlyArray<ReadUid>, target) => keyFindings(uids, target.value)
})
