/**
 * gravatar: the public profile behind an email address, from Gravatar's profile JSON
 * (`GET {base}/{md5 of the trimmed, lower-case address}.json`): `entry[]`'s user name, profile
 * URL, the accounts it links (each a user name and URL) and its other addresses and links.
 * 404 (`"User not found"`) is no profile.
 */
import { Option, Schema } from "effect"
import { createHash } from "node:crypto"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

const text = Schema.optionalWith(Schema.String, { exact: true, nullable: true })
const list = <A, I>(item: Schema.Schema<A, I>) =>
  Schema.optionalWith(Schema.Array(item), { exact: true, nullable: true, default: () => [] })

export const GravatarProfile = Schema.Struct({
  hash: Schema.String,
  profileUrl: text,
  preferredUsername: text,
  displayName: text,
  currentLocation: text,
  accounts: list(Schema.Struct({ shortname: text, domain: text, username: text, url: text })),
  urls: list(Schema.Struct({ value: Schema.String, title: text })),
  emails: list(Schema.Struct({ value: Schema.String }))
})
export type GravatarProfile = typeof GravatarProfile.Type

/** Gravatar's hash of an address. */
export const gravatarHash = (email: string): string =>
  createHash("md5").update(email.trim().toLowerCase()).digest("hex")

export const profileFindings = (profiles: ReadonlyArray<GravatarProfile>, email: string): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  const add = (type: "USERNAME" | "URL" | "EMAIL", value: string | undefined, metadata: Record<string, unknown>) => {
    if (value === undefined || value === "") return
    for (const item of Option.toArray(finding(type, value, { confidence: 0.8, metadata: { email, ...metadata } }))) {
      if (!found.has(`${type}:${item.value}`)) found.set(`${type}:${item.value}`, item)
    }
  }
  for (const profile of profiles) {
    const who = { display_name: profile.displayName, location: profile.currentLocation }
    add("USERNAME", profile.preferredUsername, { ...who, service: "gravatar" })
    add("URL", profile.profileUrl, { ...who, service: "gravatar" })
    for (const account of profile.accounts) {
      const service = account.shortname ?? account.domain
      add("USERNAME", account.username, { service })
      add("URL", account.url, { service })
    }
    for (const link of profile.urls) add("URL", link.value, { title: link.title })
    for (const other of profile.emails) add("EMAIL", other.value, { role: "listed on profile" })
  }
  return Array.from(found.values()).filter((item) =>
    !(item.type === "EMAIL" && item.value.toLowerCase() === email.toLowerCase())
  )
}

export const gravatar = pagedApi({
  name: "gravatar",
  title: "Gravatar profile",
  description: "Finds the user names, accounts and links of an email address's public Gravatar profile",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["EMAIL"],
  output_types: ["USERNAME", "URL", "EMAIL"],
  source: {
    id: "gravatar",
    name: "Gravatar",
    baseUrl: "https://en.gravatar.com",
    // Unauthenticated profile requests are throttled at a few hundred an hour.
    rateLimit: { requests: 1, perSeconds: 2, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target) => ({ path: `/${gravatarHash(target.value)}.json` }),
  empty: [404],
  rows: (body) => {
    const entries = Rows.at(body, "entry")
    return Array.isArray(entries) ? entries : undefined
  },
  row: GravatarProfile,
  findings: (profiles, target) => profileFindings(profiles, target.value)
})
