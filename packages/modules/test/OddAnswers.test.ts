/**
 * Nothing a source answers can crash a task: every registered module, on each input type it takes, is run against
 * one loopback server that answers any path with an odd body — an HTML page where JSON was expected, `{}`, `[]`,
 * `null`, truncated JSON, a 200 carrying an error object, an empty body, numbers too large for a double, fields of
 * the wrong type, lists of odd values, text lines — and must end in findings or a typed ModuleError, never a defect.
 * Modules that speak DNS ask a loopback DNS server with odd records; those that open sockets (TLS, SMTP, TCP, AXFR,
 * PostgreSQL) are pointed at the same HTTP server, which answers their protocols with an HTTP 400: an odd answer
 * of its own, the same whatever the body, so they run once. No module is left out. Every request must stay on
 * loopback: a module that reaches for another host is a failure of the test, not a skip.
 */
import { describe, expect, it } from "@effect/vitest"
import type { EntityType } from "@mirage/domain/Entity"
import { entityTypes } from "@mirage/domain/Entity"
import type { Finding, HttpClient, Module } from "@mirage/modules/Module"
import { makeHttpClient, makeModuleContext, ModuleConfigError, SourceUnavailable } from "@mirage/modules/Module"
import type { AddressGuard } from "@mirage/modules/ModuleContext"
import { modules } from "@mirage/modules/Registry"
import * as DnsServer from "@mirage/testkit/DnsServer"
import * as HttpFixture from "@mirage/testkit/HttpFixture"
import { Cause, Effect, Exit, Option, Redacted } from "effect"
import { readFileSync } from "node:fs"

const html = `<!DOCTYPE html><html><head><title>Just a moment...</title></head>
<body><div id="challenge">Checking your browser before accessing the site.</div>
<table><tr><td>a.example.test</td><td>192.0.2.1</td></tr></table><a href="/next?page=2">next</a>
<a href="mailto:%E0%A4%A@example.test">mail</a><a href="http://[::1">broken</a>
<div class="fl"><a class="__cf_email__" data-cfemail="${"ab".repeat(100_000)}">[email&#160;protected]</a></div>
</body></html>`

/** The odd answers, each at status 200: what sources send when they are down, changed, or careless. */
const oddAnswers: ReadonlyArray<readonly [string, HttpFixture.FixtureResponse]> = [
  ["an HTML page", HttpFixture.text(html, 200, "text/html; charset=utf-8")],
  ["{}", HttpFixture.json({})],
  ["[]", HttpFixture.json([])],
  ["null", HttpFixture.json(null)],
  [
    "truncated JSON",
    HttpFixture.text(
      "{\"data\": [{\"name\": \"a.example.test\", \"ip\": \"192.0.2.1\"}, {\"name\": \"b.exa",
      200,
      "application/json"
    )
  ],
  [
    "a 200 with an error object",
    HttpFixture.json({ error: "Internal server error", message: "quota exceeded", status: "error", success: false })
  ],
  ["a JSON string", HttpFixture.json("API count exceeded - Increase Quota with Membership")],
  ["an empty body", { status: 200, headers: { "content-type": "application/json" }, body: "" }],
  [
    "numbers too large",
    HttpFixture.text(
      "{\"total\": 1e999, \"count\": 18446744073709551616, \"page\": -1e999, \"data\": [1e999], \"results\": 1e999, " +
        "\"result\": {\"hits\": [1e999]}, \"port\": 1e999, \"id\": 1e999}",
      200,
      "application/json"
    )
  ],
  [
    "fields of the wrong type",
    HttpFixture.json({
      data: "a.example.test",
      results: 5,
      subdomains: { a: 1 },
      items: [1, true, null, { name: 5 }, ["a"]],
      result: { hits: "none", links: { next: 42 }, records: 7 },
      records: [{ ip: 5, host: [] }],
      hostnames: "x",
      ports: "80",
      events: { a: "b" },
      answer: { subdomains: null }
    })
  ],
  ["a list of odd values", HttpFixture.json([1, null, true, "", "..", { name: null }, [[]], "*.", "a.example.test"])],
  [
    "text lines",
    HttpFixture.text(
      "a.example.test\n,,,\n\u0000\u00ff\nnot a host,999.999.1.1\nb.example.test,192.0.2.1,\n" +
        "Contact: mailto:%E0%A4%A@example.test\nContact: tel:\nExpires: someday\nSitemap: http://[::1\n"
    )
  ]
]

/** A value of each type to start from. */
const samples: Readonly<Record<EntityType, string>> = {
  DOMAIN: "example.test",
  IP: "192.0.2.10",
  EMAIL: "alice@example.test",
  URL: "https://example.test/",
  USERNAME: "alice",
  PHONE: "+14155550123",
  ASN: "AS64500",
  NETBLOCK: "192.0.2.0/30",
  OPEN_PORT: "192.0.2.10:443",
  TECHNOLOGY: "nginx 1.25.3",
  ORGANIZATION: "Example Corp",
  BREACH: "Adobe",
  VULNERABILITY: "CVE-2021-44228",
  CERTIFICATE: "ab".repeat(32),
  CORRELATION: "a correlation"
}

/** Odd DNS data too: SPF, DMARC and CAA records that do not parse, a dangling CNAME. */
const zone: DnsServer.Zone = {
  "example.test": {
    A: ["127.0.0.1"],
    MX: [{ priority: 10, exchange: "mail.example.test" }],
    NS: ["ns1.example.test"],
    TXT: ["v=spf1 include: ip4:999.1.1.1 redirect=", ["v=spf1 ", "-all extra"], "garbage ;;; ==="],
    CAA: [
      { flags: 0, tag: "issue", value: ";;;" },
      { flags: 128, tag: "iodef", value: "not a url" },
      { flags: 0, tag: "iodef", value: "mailto:%E0%A4%A@example.test" }
    ],
    SOA: {
      mname: "ns1.example.test",
      rname: "hostmaster.example.test",
      serial: 1,
      refresh: 1,
      retry: 1,
      expire: 1,
      minimum: 1
    }
  },
  "_dmarc.example.test": { TXT: ["v=DMARC1; p=bogus; pct=abc; rua=mailto:"] },
  "mail.example.test": { A: ["127.0.0.1"] },
  "ns1.example.test": { A: ["127.0.0.1"] },
  "www.example.test": { CNAME: "gone.nowhere.test" }
}

/** Modules that open sockets of their own: pointed at the HTTP server's port, run once (its answer does not vary). */
const socketConfig = (port: number): Readonly<Record<string, Readonly<Record<string, unknown>>>> => ({
  tls_certificate: { address_map: { "192.0.2.10": "127.0.0.1" }, port, timeout_ms: 1000 },
  tls_summary: { address_map: { "192.0.2.10": "127.0.0.1" }, port, timeout_ms: 1000 },
  smtp_deliverability: { port, timeout_ms: 1000 },
  port_scan_tcp: { address_map: { "192.0.2.10": "127.0.0.1" }, only_mapped: true, ports: [port], timeout_ms: 1000 },
  dns_zone_transfer: { nameservers: [`127.0.0.1:${port}`], timeout_ms: 1000 },
  crtsh_db: { database_url: `postgres://guest@127.0.0.1:${port}/certwatch`, timeout_ms: 2000 }
})

const wmnSites = (JSON.parse(
  readFileSync(new URL("../src/data/wmn-data.json", import.meta.url), "utf8")
) as { readonly sites: ReadonlyArray<{ readonly name: string }> }).sites.slice(0, 3).map((site) => site.name)

/** What keeps the other modules to the test's server and small. */
const httpConfig = (url: string): Readonly<Record<string, Readonly<Record<string, unknown>>>> => ({
  dns_brute: { wordlist: ["www", "mail"], use_builtin_wordlist: false, wildcard_probes: 1 },
  whatsmyname: { sites: wmnSites },
  storage_buckets: {
    templates: {
      s3: `${url}/s3/{bucket}/`,
      gcs: `${url}/gcs/{bucket}/`,
      azure: `${url}/azure/{account}/{bucket}?restype=container&comp=list`,
      firebase: `${url}/firebase/{bucket}/.json`,
      digitalocean: `${url}/spaces/{region}/{bucket}/`
    },
    suffixes: [],
    azure_containers: ["public"],
    digitalocean_regions: ["nyc3"],
    max_names: 2
  }
})

const isLoopback = (host: string) => host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)

/** The runtime's guard, reduced to loopback: a socket anywhere else is refused and recorded. */
const loopbackGuard = (escapes: Array<string>): AddressGuard => ({
  check: (module, host) =>
    isLoopback(host) ? Effect.void : Effect.zipRight(
      Effect.sync(() => void escapes.push(`${module}: socket to ${host}`)),
      Effect.fail(new ModuleConfigError({ module, reason: `${host} is not loopback` }))
    ),
  lookup: (hostname, _options, callback) => {
    escapes.push(`lookup of ${hostname}`)
    callback(Object.assign(new Error(`${hostname} is not loopback`), { code: "EREFUSED" }), "", 4)
  }
})

/** HTTP to the test's server only, each request counted for its module; any other URL is recorded and refused. */
const confined = (module: string, origin: string, asked: Map<string, number>, escapes: Array<string>): HttpClient => {
  const base = makeHttpClient({ label: module, timeoutMs: 3_000 })
  const check = (url: string) =>
    URL.canParse(url) && new URL(url).origin === origin
      ? Effect.sync(() => void asked.set(module, (asked.get(module) ?? 0) + 1))
      : Effect.zipRight(
        Effect.sync(() => void escapes.push(`${module}: ${url}`)),
        Effect.fail(new SourceUnavailable({ reason: `not the test's server: ${url}` }))
      )
  return {
    get: (url, options) => Effect.zipRight(check(url), base.get(url, options)),
    post: (url, options) => Effect.zipRight(check(url), base.post(url, options))
  }
}

const moduleErrors = new Set(["SourceUnavailable", "RateLimited", "AuthFailed", "BadResponse", "ModuleConfigError"])

const wellFormed = (found: Finding) =>
  entityTypes.includes(found.type) && typeof found.value === "string" && found.value !== "" &&
  found.confidence >= 0 && found.confidence <= 1

/** What is wrong with how a run ended, if anything: a defect, an untyped failure, a malformed finding, a hang. */
const judge = (exit: Exit.Exit<ReadonlyArray<Finding>, unknown>): Option.Option<string> =>
  Exit.match(exit, {
    onSuccess: (findings) =>
      findings.every(wellFormed) ? Option.none() : Option.some(`malformed findings: ${JSON.stringify(findings)}`),
    onFailure: (cause) => {
      if (Cause.isDie(cause)) return Option.some(`died: ${Cause.pretty(cause).split("\n").slice(0, 3).join(" ")}`)
      const failure = Cause.failureOption(cause)
      const tag = Option.isSome(failure) && typeof failure.value === "object" && failure.value !== null &&
          "_tag" in failure.value
        ? String(failure.value._tag)
        : undefined
      return tag !== undefined && moduleErrors.has(tag)
        ? Option.none()
        : Option.some(`ended untyped: ${Cause.pretty(cause).split("\n")[0]}`)
    }
  })

/** Modules that never ask an HTTP source: DNS questions, sockets of their own, or data shipped with them. */
const noHttp: ReadonlyArray<string> = [
  "dns_resolve",
  "dns_records",
  "reverse_dns",
  "dns_brute",
  "dns_zone_transfer",
  "tls_certificate",
  "tls_summary",
  "port_scan_tcp",
  "smtp_deliverability",
  "crtsh_db",
  "dnscaa",
  "email_security",
  "subdomain_takeover",
  "dns_providers",
  "dnsbl",
  "team_cymru_asn",
  "netblock_ptr_sweep",
  "phone"
]

describe("odd answers", () => {
  it.live(
    "no module dies on anything a source answers: each ends in findings or a typed ModuleError",
    () =>
      Effect.scoped(Effect.gen(function*() {
        let current: HttpFixture.FixtureResponse = HttpFixture.json({})
        const server = yield* HttpFixture.make("https://odd-source.test", () => current)
        const dns = yield* DnsServer.make(zone)
        const port = Number(new URL(server.url).port)
        const sockets = socketConfig(port)
        const special = httpConfig(server.url)
        const endpoints = {
          ...Object.fromEntries(modules.map((module) => [module.source.id, server.url])),
          dnsServers: [dns.address]
        }
        const asked = new Map<string, number>()
        const escapes: Array<string> = []
        const problems: Array<string> = []

        const configOf = (module: Module): unknown => {
          const own = sockets[module.id] ?? special[module.id] ?? {}
          const withBase = { base_url: server.url, ...own }
          return module.validateConfig(withBase)._tag === "Right" ? withBase : own
        }

        const run = (module: Module, type: EntityType, answer: string) =>
          Effect.scoped(Effect.gen(function*() {
            const ctx = yield* makeModuleContext({
              module: module.id,
              endpoints,
              timeoutMs: 3_000,
              credentials: Redacted.make("test-key-0123456789abcdef"),
              http: confined(module.id, server.url, asked, escapes),
              guard: loopbackGuard(escapes),
              log: () => Effect.void
            })
            // An open port is the server's own, behind the documentation address the socket modules map to it.
            const target = { type, value: type === "OPEN_PORT" ? `192.0.2.10:${port}` : samples[type] }
            return yield* Effect.exit(Effect.flatMap(module.open(configOf(module), ctx), (s) => s.collect({ target })))
          })).pipe(
            Effect.timeoutTo({
              duration: "20 seconds",
              onTimeout: () => Option.some("hung for 20 s"),
              onSuccess: judge
            }),
            Effect.flatMap((problem) =>
              Option.match(problem, {
                onNone: () => Effect.void,
                onSome: (what) => Effect.sync(() => void problems.push(`${module.id} (${type}) on ${answer}: ${what}`))
              })
            )
          )

        const cases = (subjects: ReadonlyArray<Module>, answer: string) =>
          subjects.flatMap((module) => module.input_types.map((type) => run(module, type, answer)))

        for (const [index, [answer, response]] of oddAnswers.entries()) {
          current = response
          const subjects = modules.filter((module) => index === 0 || sockets[module.id] === undefined)
          yield* Effect.all(cases(subjects, answer), { concurrency: 8, discard: true })
        }

        expect(problems).toEqual([])
        expect(escapes).toEqual([])
        // Every module that asks an HTTP source did ask this one, so the odd answers reached it.
        const silent = modules.filter((module) => !asked.has(module.id) && !noHttp.includes(module.id))
        expect(silent.map((module) => module.id)).toEqual([])
        expect(modules.length).toBeGreaterThanOrEqual(100)
      })),
    300_000
  )
})
