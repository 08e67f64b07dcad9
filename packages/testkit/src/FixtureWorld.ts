/**
 * The sandbox world scans run against in tests: one domain, its certificates on an emulated
 * crt.sh, its records on a real DNS server (UDP and TCP, zone transfer allowed), its website,
 * TLS service and TCP services on loopback, its listing on an emulated email-format.com, and what
 * a scan of it must find.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import * as AddressSources from "./AddressSources.js"
import * as CertwatchServer from "./CertwatchServer.js"
import * as CrtshServer from "./CrtshServer.js"
import * as DnsServer from "./DnsServer.js"
import * as EmailFormatServer from "./EmailFormatServer.js"
import * as IntelWorld from "./IntelWorld.js"
import * as ProfileSites from "./ProfileSites.js"
import * as TcpListeners from "./TcpListeners.js"
import * as TlsServer from "./TlsServer.js"
import * as WebsiteServer from "./WebsiteServer.js"

// To emulate another source (Shodan, VirusTotal, ...): write `<Source>Server.ts` in the style of
// CrtshServer.ts, give it its data here, start it in `make` and add its URL to `moduleEndpoints`.

/** Reserved for testing (RFC 2606), so nothing here can ever reach a real host. */
export const domain = "mirage-sandbox.test"

const letsEncrypt = { issuer_ca_id: 183267, issuer_name: "C=US, O=Let's Encrypt, CN=R11" }
const sectigo = {
  issuer_ca_id: 1397,
  issuer_name:
    "C=GB, ST=Greater Manchester, L=Salford, O=Sectigo Limited, CN=Sectigo RSA Domain Validation Secure Server CA"
}
const current = {
  entry_timestamp: "2025-03-01T08:15:02.114",
  not_before: "2025-03-01T07:16:31",
  not_after: "2025-08-29T07:16:30"
}

export const certificates: ReadonlyArray<CrtshServer.Certificate> = [
  {
    id: 16102938401,
    ...letsEncrypt,
    ...current,
    common_name: "mirage-sandbox.test",
    names: ["mirage-sandbox.test", "www.mirage-sandbox.test"],
    serial_number: "04a1b2c3d4e5f60718293a4b5c6d7e8f9a0b"
  },
  {
    id: 16102938455,
    ...sectigo,
    ...current,
    common_name: "*.mirage-sandbox.test",
    names: ["*.mirage-sandbox.test", "mirage-sandbox.test"],
    serial_number: "7f3e2d1c0b0a09080706050403020100"
  },
  {
    id: 16102939012,
    ...letsEncrypt,
    ...current,
    common_name: "api.mirage-sandbox.test",
    names: ["api.mirage-sandbox.test", "*.api.mirage-sandbox.test"],
    serial_number: "03ffeeddccbbaa998877665544332211aabb"
  },
  {
    // The precertificate of the one above: crt.sh lists both, with the same names.
    id: 16102939011,
    ...letsEncrypt,
    ...current,
    common_name: "api.mirage-sandbox.test",
    names: ["api.mirage-sandbox.test", "*.api.mirage-sandbox.test"],
    serial_number: "03ffeeddccbbaa998877665544332211aabb"
  },
  {
    id: 16102940120,
    ...sectigo,
    ...current,
    common_name: "mail.mirage-sandbox.test",
    names: ["mail.mirage-sandbox.test", "hostmaster@mirage-sandbox.test"],
    serial_number: "5a5b5c5d5e5f60616263646566676869"
  },
  {
    id: 16102941777,
    ...letsEncrypt,
    ...current,
    common_name: "dev.mirage-sandbox.test",
    names: ["dev.mirage-sandbox.test", "WWW.Mirage-Sandbox.test"],
    serial_number: "0499887766554433221100ffeeddccbbaa99"
  },
  {
    // Names a module must not report: another domain, a look-alike suffix, a foreign email, a bad label.
    id: 16102942300,
    ...sectigo,
    ...current,
    common_name: "vpn.mirage-sandbox.test",
    names: [
      "vpn.mirage-sandbox.test",
      "mirage-sandbox.test.attacker.example",
      "notmirage-sandbox.test",
      "ca@othersite.example",
      "-bad-.mirage-sandbox.test"
    ],
    serial_number: "1112131415161718191a1b1c1d1e1f20"
  },
  {
    id: 16102943001,
    ...letsEncrypt,
    ...current,
    common_name: "cdn.mirage-sandbox.test",
    names: ["cdn.mirage-sandbox.test"],
    serial_number: "04c0ffee00000000000000000000000000cd"
  },
  {
    // Long expired, and the name no longer resolves.
    id: 1034567890,
    ...sectigo,
    entry_timestamp: "2018-02-11T10:00:00.000",
    not_before: "2018-02-11T00:00:00",
    not_after: "2019-02-11T23:59:59",
    common_name: "legacy.mirage-sandbox.test",
    names: ["legacy.mirage-sandbox.test"],
    serial_number: "00d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8"
  }
]

const forward: DnsServer.Zone = {
  "mirage-sandbox.test": {
    A: ["192.0.2.10"],
    AAAA: ["2001:db8::10"],
    NS: ["ns1.mirage-sandbox.test"],
    MX: [{ priority: 10, exchange: "mail.mirage-sandbox.test" }],
    CAA: [
      { flags: 0, tag: "issue", value: "letsencrypt.org" },
      { flags: 0, tag: "issuewild", value: ";" },
      { flags: 0, tag: "iodef", value: "mailto:security@mirage-sandbox.test" }
    ],
    TXT: [
      "v=spf1 mx ip4:192.0.2.0/24 include:_spf.mailhost.example -all",
      ["google-site-verification=", "mirage-sandbox"]
    ],
    SOA: {
      mname: "ns1.mirage-sandbox.test",
      rname: "hostmaster.mirage-sandbox.test",
      serial: 2025060101,
      refresh: 7200,
      retry: 3600,
      expire: 1209600,
      minimum: 300
    }
  },
  "_dmarc.mirage-sandbox.test": {
    TXT: [
      "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@mirage-sandbox.test; ruf=mailto:forensics@mailhost.example"
    ]
  },
  "ns1.mirage-sandbox.test": { A: ["192.0.2.53"] },
  "www.mirage-sandbox.test": { A: ["192.0.2.11"], AAAA: ["2001:db8::11"] },
  "api.mirage-sandbox.test": { A: ["192.0.2.12", "192.0.2.13"] },
  "mail.mirage-sandbox.test": { A: ["198.51.100.25"] },
  "dev.mirage-sandbox.test": { A: ["198.51.100.30"] },
  "vpn.mirage-sandbox.test": { A: ["203.0.113.5"] },
  "cdn.mirage-sandbox.test": { CNAME: "edge.mirage-sandbox.test" },
  "edge.mirage-sandbox.test": { A: ["203.0.113.80"], AAAA: ["2001:db8:0:c::80"] },
  // A CNAME to a hosting service's name that is gone: a takeover waiting to happen.
  "promo.mirage-sandbox.test": { CNAME: "mirage-promo.sandbox-pages.test" },
  // Only in the zone: found by a zone transfer or a wordlist, never linked anywhere.
  "intranet.mirage-sandbox.test": { A: ["198.51.100.99"] },
  // A name whose authoritative server is broken, for SERVFAIL handling.
  "broken.mirage-sandbox.test": { rcode: "SERVFAIL" },
  // The mail provider the SPF record includes: another organisation's zone.
  "_spf.mailhost.example": { TXT: ["v=spf1 ip4:198.51.100.0/24 -all"] }
}

const forwardAddresses = Object.values(forward).flatMap((entry) => [...(entry.A ?? []), ...(entry.AAAA ?? [])])

/**
 * DNS blocklists' zones (third parties' too): the development host is an infected machine on
 * Spamhaus ZEN (XBL) and on SpamCop, the VPN gateway sits in a range not meant to send mail (PBL).
 */
export const blocklistZone: DnsServer.Zone = {
  "30.100.51.198.zen.spamhaus.org": { A: ["127.0.0.4"] },
  "30.100.51.198.bl.spamcop.net": { A: ["127.0.0.2"] },
  "5.113.0.203.zen.spamhaus.org": { A: ["127.0.0.11"] }
}

/**
 * The forward zone plus a PTR for every address in it, and Team Cymru's IP-to-ASN records and the
 * blocklists (third parties' zones, served by the same server) for the addresses the sandbox knows.
 */
export const zone: DnsServer.Zone = {
  ...forward,
  ...Object.fromEntries(
    Object.entries(forward).flatMap(([name, entry]) =>
      [...(entry.A ?? []), ...(entry.AAAA ?? [])].map((ip) => [DnsServer.reverseName(ip), { PTR: [name] }])
    )
  ),
  ...AddressSources.teamCymruZone(IntelWorld.registries, [...forwardAddresses, ...IntelWorld.knownAddresses]),
  ...blocklistZone
}

/** email-format.com's listing of the domain: two addresses, one of them obfuscated, and a foreign one. */
export const emailFormatListings: Readonly<Record<string, EmailFormatServer.Listing>> = {
  [domain]: {
    format: "first_name.last_name 87%",
    emails: ["jane.doe@mirage-sandbox.test", "someone@othercorp.example"],
    obfuscated: ["john.smith@mirage-sandbox.test"]
  }
}

/** The accounts the handles of the site's humans.txt have on the username sites (`ProfileSites`). */
export const profileAccounts: ProfileSites.Accounts = {
  github: ["mirage-jane"],
  gitlab: ["janedoe_dev"],
  reddit: []
}

/** The address whose services the sandbox's TLS server and TCP listeners stand in for. */
export const serviceAddress = "192.0.2.10"

/**
 * What a breadth-first scan of `domain` with every network module (and `moduleConfig`) must
 * find, in canonical form; the target is among `domains`. The open ports, whose numbers are
 * ephemeral, are in `FixtureWorld.expected.ports`.
 */
export const expected = {
  domains: [
    "mirage-sandbox.test",
    "www.mirage-sandbox.test",
    "api.mirage-sandbox.test",
    "mail.mirage-sandbox.test",
    "dev.mirage-sandbox.test",
    "vpn.mirage-sandbox.test",
    "cdn.mirage-sandbox.test",
    "legacy.mirage-sandbox.test",
    // Through DNS: the CNAME target of cdn, the name server (NS, SOA), the SPF include.
    "edge.mirage-sandbox.test",
    "ns1.mirage-sandbox.test",
    "_spf.mailhost.example",
    // Only in the zone (transfer, wordlist) and only in the TLS certificate.
    "intranet.mirage-sandbox.test",
    // Only in the zone, and its dangling CNAME's target.
    "promo.mirage-sandbox.test",
    "mirage-promo.sandbox-pages.test",
    "portal.mirage-sandbox.test"
  ],
  /** Names in certificates under the domain (what crtsh alone finds for it). */
  certificateNames: [
    "mirage-sandbox.test",
    "www.mirage-sandbox.test",
    "api.mirage-sandbox.test",
    "mail.mirage-sandbox.test",
    "dev.mirage-sandbox.test",
    "vpn.mirage-sandbox.test",
    "cdn.mirage-sandbox.test",
    "legacy.mirage-sandbox.test"
  ],
  /** Emails in CT-logged certificates (what crtsh alone finds for the domain). */
  certificateEmails: ["hostmaster@mirage-sandbox.test"],
  emails: [
    // CT logs, the SOA's RNAME and the served certificate's subject.
    "hostmaster@mirage-sandbox.test",
    // DMARC's rua and ruf.
    "dmarc-reports@mirage-sandbox.test",
    "forensics@mailhost.example",
    // The served certificate's SAN.
    "security@mirage-sandbox.test",
    // The website, and email-format.com.
    ...WebsiteServer.expected.emails,
    "jane.doe@mirage-sandbox.test",
    "john.smith@mirage-sandbox.test"
  ],
  ips: [
    "192.0.2.10",
    "2001:db8::10",
    "192.0.2.11",
    "2001:db8::11",
    "192.0.2.12",
    "192.0.2.13",
    "198.51.100.25",
    "198.51.100.30",
    "203.0.113.5",
    "203.0.113.80",
    "2001:db8:0:c::80",
    "192.0.2.53",
    "198.51.100.99"
  ],
  urls: WebsiteServer.expected.urls,
  /** The certificate authority the CAA record authorizes. */
  organizations: ["Let's Encrypt"],
  phones: WebsiteServer.expected.phones,
  technologies: WebsiteServer.expected.technologies,
  usernames: WebsiteServer.expected.usernames,
  /** Where those handles have profiles (whatsmyname, a passive source, not run by network-only scans). */
  profiles: ["https://github.com/mirage-jane", "https://gitlab.com/janedoe_dev"],
  /** Values that appear in the world but a scan must never report. */
  absent: [
    "mirage-sandbox.test.attacker.example",
    "notmirage-sandbox.test",
    "ca@othersite.example",
    "-bad-.mirage-sandbox.test",
    "broken.mirage-sandbox.test",
    "someone@othercorp.example",
    "support@email-format.example",
    ...WebsiteServer.expected.absent
  ]
} as const

/** Endpoints in the shape modules take (`ModuleEndpoints` of @mirage/modules); a type, not an interface, so it fits that index signature. */
export type ModuleEndpoints = {
  readonly crtsh: string
  readonly email_format: string
  readonly dnsServers: ReadonlyArray<string>
  readonly [source: string]: string | ReadonlyArray<string>
}

/** The loopback services standing in for the sandbox's hosts. */
export interface Services {
  readonly website: WebsiteServer.WebsiteServer
  readonly tls: TlsServer.TlsServer
  /** Banner services (SSH-like, SMTP-like) on `serviceAddress`'s stand-in. */
  readonly ssh: TcpListeners.TcpListener
  readonly smtp: TcpListeners.TcpListener
  /** Scanned too, but nothing listens there. */
  readonly closedPort: number
}

export interface FixtureWorld {
  readonly domain: string
  readonly dns: DnsServer.DnsServer
  readonly crtsh: CrtshServer.CrtshServer
  /** The same certificates in crt.sh's certwatch database, over the PostgreSQL protocol. */
  readonly certwatch: CertwatchServer.CertwatchServer
  readonly emailFormat: EmailFormatServer.EmailFormatServer
  readonly services: Services
  readonly moduleEndpoints: ModuleEndpoints
  /**
   * Per-module config a sandbox scan runs with: its hosts are documentation addresses and RFC
   * 2606 names served on loopback, so the web modules get `base_url`, the TLS and port scans an
   * `address_map` to loopback (and `only_mapped`, so they never leave it), the zone transfer the
   * sandbox's DNS server in place of the domain's NS addresses.
   */
  readonly moduleConfig: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  readonly expected: typeof expected & { readonly ports: ReadonlyArray<string> }
}

/** Starts every emulated source; closing the Scope stops them. */
export const make: Effect.Effect<FixtureWorld, never, Scope.Scope> = Effect.gen(function*() {
  const [dns, crtsh, certwatch, emailFormat, website, tls, ssh, smtp, closedPort, intel, profiles] = yield* Effect.all(
    [
      DnsServer.make(zone, { allowTransfer: [domain] }),
      CrtshServer.make(certificates),
      CertwatchServer.make(certificates),
      EmailFormatServer.make(emailFormatListings),
      WebsiteServer.make,
      TlsServer.make,
      TcpListeners.banner("SSH-2.0-OpenSSH_9.6\r\n"),
      TcpListeners.banner("220 mail.mirage-sandbox.test ESMTP\r\n"),
      TcpListeners.closedPort,
      // A sandbox scan asks HackerTarget's three lookups of every name and address: more than its real 50 a day.
      IntelWorld.makeWith({ hackertargetQuota: 1000 }),
      ProfileSites.make(profileAccounts)
    ],
    { concurrency: "unbounded" }
  )
  const loopback = { address_map: { [serviceAddress]: "127.0.0.1" }, only_mapped: true }
  const openPorts = [ssh.port, smtp.port, tls.port]
  return {
    domain,
    dns,
    crtsh,
    certwatch,
    emailFormat,
    services: { website, tls, ssh, smtp, closedPort },
    moduleEndpoints: {
      ...intel.endpoints,
      crtsh: crtsh.url,
      email_format: emailFormat.url,
      // Every site whatsmyname asks, on loopback.
      whatsmyname: profiles.url,
      dnsServers: [dns.address]
    },
    moduleConfig: {
      dns_zone_transfer: { nameservers: [dns.address] },
      tls_certificate: { ...loopback, port: tls.port },
      tls_summary: { ...loopback, port: tls.port },
      smtp_deliverability: { ...loopback, port: smtp.port },
      port_scan_tcp: { ...loopback, ports: [...openPorts, closedPort] },
      http_probe: { base_url: website.url },
      web_spider: { base_url: website.url },
      robots_sitemap: { base_url: website.url },
      securitytxt: { base_url: website.url },
      humans_txt: { base_url: website.url },
      waf_cdn: { base_url: website.url },
      tech_fingerprint: { base_url: website.url },
      favicon_hash: { base_url: website.url },
      shodan_favicon: { base_url: website.url },
      crtsh_db: { database_url: certwatch.url }
    },
    expected: { ...expected, ports: openPorts.map((port) => `${serviceAddress}:${port}`) }
  }
})
