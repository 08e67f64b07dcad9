/**
 * The sandbox's sources of people and their addresses: an HKP keyserver's machine-readable index of
 * public OpenPGP keys, Skymem's pages of addresses seen on the web, and Gravatar's public profiles.
 */
import type { Effect, Scope } from "effect"
import { createHash } from "node:crypto"
import * as HttpFixture from "./HttpFixture.js"

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

/** A public key: its fingerprint, creation (seconds since the epoch), flags (`r` revoked…) and user IDs. */
export interface PublicKey {
  readonly fingerprint: string
  readonly created: number
  readonly flags: string
  readonly uids: ReadonlyArray<string>
}

/**
 * `GET /pks/lookup?op=index&options=mr&search={text}`: the keys whose user IDs contain the text, as
 * `info`, `pub` and %-escaped `uid` lines (draft-shaw-openpgp-hkp); 404 "No results found" when none.
 */
export const keyserver = (keys: ReadonlyArray<PublicKey>): Server =>
  HttpFixture.make("https://keyserver.ubuntu.com", (request) => {
    const params = request.url.searchParams
    if (request.url.pathname !== "/pks/lookup" || params.get("op") !== "index") {
      return HttpFixture.text("Not implemented", 501)
    }
    const search = (params.get("search") ?? "").toLowerCase()
    const found = keys.filter((key) => search !== "" && key.uids.some((uid) => uid.toLowerCase().includes(search)))
    if (found.length === 0) return HttpFixture.text("No results found", 404)
    const escape = (uid: string) => uid.replace(/[%:<>@ ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    const lines = [
      `info:1:${found.length}`,
      ...found.flatMap((key) => [
        `pub:${key.fingerprint}:1:4096:${key.created}::${key.flags}`,
        ...key.uids.map((uid) => `uid:${escape(uid)}:${key.created}::${key.flags}`)
      ])
    ]
    return HttpFixture.text(lines.join("\n"), 200, "text/plain; charset=utf-8")
  })

/**
 * Skymem: `GET /srch?q={domain}`, a page of the domain's addresses (each a link to its own search)
 * linking the domain's listing (`/domain/{id}?p={n}`), whose pages hold `perPage` addresses each.
 */
export const skymem = (emails: ReadonlyArray<string>, options: { readonly perPage?: number } = {}): Server =>
  HttpFixture.make("https://www.skymem.info", (request) => {
    const perPage = options.perPage ?? 5
    const id = (domain: string) => createHash("sha1").update(domain).digest("hex").slice(0, 12)
    const page = (domain: string, shown: ReadonlyArray<string>, pages: number) =>
      HttpFixture.text(
        `<html><body><h1>Emails for ${domain}</h1><table>${
          shown.map((email) => `<tr><td><a href="/srch?q=${email}">${email}</a></td></tr>`).join("")
        }</table><div class="pages">${
          Array.from({ length: pages }, (_, i) => `<a href="/domain/${id(domain)}?p=${i + 1}">${i + 1}</a>`).join(" ")
        }</div><a href="/about">About</a></body></html>`,
        200,
        "text/html; charset=utf-8"
      )
    const ofDomain = (domain: string) => emails.filter((email) => email.toLowerCase().endsWith(`@${domain}`))
    if (request.url.pathname === "/srch") {
      const domain = (request.url.searchParams.get("q") ?? "").toLowerCase()
      const all = ofDomain(domain)
      return page(domain, all.slice(0, perPage), Math.max(0, Math.ceil(all.length / perPage) - 1))
    }
    const listing = /^\/domain\/([0-9a-f]+)$/.exec(request.url.pathname)
    const domain = emails.map((email) => email.slice(email.lastIndexOf("@") + 1).toLowerCase())
      .find((candidate) => id(candidate) === listing?.[1])
    if (domain === undefined) return HttpFixture.notFound()
    const n = Number(request.url.searchParams.get("p") ?? "1")
    const all = ofDomain(domain)
    return page(domain, all.slice(n * perPage, (n + 1) * perPage), Math.max(0, Math.ceil(all.length / perPage) - 1))
  })

/** A public Gravatar profile, by the address it is for. */
export interface Profile {
  readonly email: string
  readonly username: string
  readonly displayName: string
  readonly accounts: ReadonlyArray<{ readonly shortname: string; readonly username: string; readonly url: string }>
}

/** `GET /{md5 of the address}.json`: `{"entry": [profile]}`, or 404 `"User not found"`. */
export const gravatar = (profiles: ReadonlyArray<Profile>): Server =>
  HttpFixture.make("https://en.gravatar.com", (request) => {
    const hash = /^\/([0-9a-f]{32})\.json$/.exec(request.url.pathname)?.[1]
    const profile = profiles.find((candidate) =>
      createHash("md5").update(candidate.email.trim().toLowerCase()).digest("hex") === hash
    )
    if (hash === undefined || profile === undefined) return HttpFixture.json("User not found", 404)
    return HttpFixture.json({
      entry: [{
        id: "90210001",
        hash,
        requestHash: hash,
        profileUrl: `https://gravatar.com/${profile.username}`,
        preferredUsername: profile.username,
        thumbnailUrl: `https://secure.gravatar.com/avatar/${hash}`,
        photos: [{ value: `https://secure.gravatar.com/avatar/${hash}`, type: "thumbnail" }],
        displayName: profile.displayName,
        accounts: profile.accounts.map((account) => ({
          domain: new URL(account.url).hostname,
          display: account.username,
          url: account.url,
          username: account.username,
          verified: "true",
          shortname: account.shortname
        })),
        urls: []
      }]
    })
  })

/** What EmailRep says of an address: its reputation, leaks and profiles, and whether its domain is a free provider's. */
export interface Reputation {
  readonly email: string
  readonly reputation: "high" | "medium" | "low" | "none"
  readonly credentialsLeaked: boolean
  readonly profiles: ReadonlyArray<string>
  readonly freeProvider: boolean
}

/**
 * EmailRep: `GET /{email}` (a user agent required, `Key` optional): the address's report, `reputation:
 * "none"` for an address it never saw; 400 `invalid email` for anything else.
 */
export const emailrep = (reputations: ReadonlyArray<Reputation>): Server =>
  HttpFixture.make("https://emailrep.io", (request) => {
    if (request.headers["user-agent"] === undefined) {
      return HttpFixture.json({ status: "fail", reason: "user agent required" }, 400)
    }
    const email = decodeURIComponent(request.url.pathname.slice(1)).toLowerCase()
    if (!/^[^@/]+@[^@/]+$/.test(email)) return HttpFixture.json({ status: "fail", reason: "invalid email" }, 400)
    const known = reputations.find((candidate) => candidate.email === email)
    return HttpFixture.json({
      email,
      reputation: known?.reputation ?? "none",
      suspicious: false,
      references: known === undefined ? 0 : 12,
      details: {
        blacklisted: false,
        malicious_activity: false,
        malicious_activity_recent: false,
        credentials_leaked: known?.credentialsLeaked ?? false,
        credentials_leaked_recent: false,
        data_breach: known?.credentialsLeaked ?? false,
        first_seen: known === undefined ? "never" : "03/14/2019",
        last_seen: known === undefined ? "never" : "11/02/2025",
        domain_exists: true,
        domain_reputation: "medium",
        new_domain: false,
        days_since_domain_creation: 2400,
        suspicious_tld: false,
        spam: false,
        free_provider: known?.freeProvider ?? false,
        disposable: false,
        deliverable: true,
        accept_all: false,
        valid_mx: true,
        primary_mx: "mail.mirage-sandbox.test",
        spoofable: true,
        spf_strict: false,
        dmarc_enforced: false,
        profiles: known?.profiles ?? []
      }
    })
  })

/** A Keybase user and the identities it has proven: `proof_type` (github, twitter, dns, generic_web_site…) and name. */
export interface KeybaseUser {
  readonly username: string
  readonly proofs: ReadonlyArray<
    { readonly proof_type: string; readonly nametag: string; readonly service_url: string }
  >
}

/**
 * Keybase: `GET /_/api/1.0/user/lookup.json?usernames={name}&fields=…`: `{"status": {"code": 0, "name": "OK"},
 * "them": [user]}`, the user `null` when there is none.
 */
export const keybase = (users: ReadonlyArray<KeybaseUser>): Server =>
  HttpFixture.make("https://keybase.io", (request) => {
    if (request.url.pathname !== "/_/api/1.0/user/lookup.json") return HttpFixture.notFound()
    const names = (request.url.searchParams.get("usernames") ?? "").split(",")
    const them = names.map((name) => {
      const user = users.find((candidate) => candidate.username === name.toLowerCase())
      return user === undefined ? null : {
        id: `0f${user.username.length}a1b2c3d4e5f60718293a4b5c6d7e819`,
        basics: { username: user.username, ctime: 1_420_070_400 },
        proofs_summary: {
          all: user.proofs.map((proof, i) => ({
            ...proof,
            proof_id: `${i}`,
            sig_id: `sig-${i}`,
            proof_url: proof.service_url,
            presentation_group: proof.proof_type,
            state: 1
          }))
        }
      }
    })
    return HttpFixture.json({ status: { code: 0, name: "OK" }, them })
  })
