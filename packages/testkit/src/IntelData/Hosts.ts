/** What the host and passive-DNS sources saw: Shodan, InternetDB, VirusTotal, urlscan.io, OTX resolutions. */
import type * as InternetdbServer from "../InternetdbServer.js"
import type * as OtxServer from "../OtxServer.js"
import type * as ShodanServer from "../ShodanServer.js"
import { sandboxFaviconHash } from "../ThreatData.js"
import type * as UrlscanServer from "../UrlscanServer.js"
import type * as VirustotalServer from "../VirustotalServer.js"
import { domain, hosting, org, transit } from "./Sandbox.js"

const nginx = { product: "nginx", version: "1.24.0", cpe23: ["cpe:2.3:a:f5:nginx:1.24.0"] }

export const shodanHosts: ReadonlyArray<ShodanServer.Host> = [
  {
    ip: "192.0.2.10",
    hostnames: ["mirage-sandbox.test"],
    org,
    isp: org,
    asn: "AS64500",
    services: [{ port: 80, transport: "tcp", ...nginx }, { port: 443, transport: "tcp", ...nginx }]
  },
  {
    ip: "192.0.2.11",
    hostnames: ["www.mirage-sandbox.test"],
    org,
    isp: org,
    asn: "AS64500",
    services: [{ port: 80, transport: "tcp", ...nginx }, { port: 443, transport: "tcp", ...nginx }]
  },
  {
    ip: "192.0.2.20",
    hostnames: ["staging.mirage-sandbox.test"],
    org,
    isp: org,
    asn: "AS64500",
    // Staging serves the website's icon: the favicon pivot finds it.
    faviconHash: sandboxFaviconHash,
    services: [{
      port: 8080,
      transport: "tcp",
      product: "Jenkins",
      version: "2.440",
      cpe23: ["cpe:2.3:a:jenkins:jenkins:2.440"]
    }]
  },
  {
    ip: "198.51.100.25",
    hostnames: ["mail.mirage-sandbox.test"],
    org: hosting,
    isp: hosting,
    asn: "AS64501",
    os: "Debian",
    services: [
      { port: 25, transport: "tcp", product: "Postfix smtpd" },
      { port: 993, transport: "tcp", product: "Dovecot imapd" }
    ]
  },
  {
    ip: "203.0.113.5",
    hostnames: ["vpn.mirage-sandbox.test"],
    org: transit,
    isp: transit,
    asn: "AS64502",
    services: [
      { port: 22, transport: "tcp", product: "OpenSSH", version: "9.6p1", cpe23: ["cpe:2.3:a:openbsd:openssh:9.6p1"] },
      // A banner without a product: a port, but no technology.
      { port: 1194, transport: "udp" }
    ]
  }
]

export const internetdbRecords: ReadonlyArray<InternetdbServer.HostRecord> = [
  {
    ip: "192.0.2.10",
    ports: [80, 443],
    cpes: ["cpe:/a:f5:nginx:1.24.0"],
    hostnames: ["mirage-sandbox.test"],
    tags: [],
    vulns: []
  },
  {
    ip: "192.0.2.12",
    ports: [443],
    cpes: ["cpe:/a:f5:nginx:1.24.0"],
    hostnames: ["api.mirage-sandbox.test"],
    tags: ["cdn"],
    vulns: []
  },
  {
    ip: "192.0.2.20",
    ports: [22, 8080],
    cpes: ["cpe:/a:jenkins:jenkins:2.440", "cpe:/a:openbsd:openssh"],
    hostnames: ["staging.mirage-sandbox.test"],
    tags: ["devops"],
    vulns: ["CVE-2024-23897"]
  }
]

export const virustotalDomains: ReadonlyArray<VirustotalServer.DomainReport> = [
  { name: domain, records: [{ type: "A", value: "192.0.2.10" }] },
  { name: "www.mirage-sandbox.test", records: [{ type: "A", value: "192.0.2.11" }] },
  { name: "api.mirage-sandbox.test", records: [{ type: "A", value: "192.0.2.12" }] },
  { name: "dev.mirage-sandbox.test", records: [{ type: "A", value: "198.51.100.30" }] },
  { name: "staging.mirage-sandbox.test", records: [{ type: "A", value: "192.0.2.20" }] },
  { name: "cdn.mirage-sandbox.test", records: [{ type: "CNAME", value: "edge.mirage-sandbox.test" }] }
]

const page = (url: string, ip: string, asn: string, asnname: string, title: string) => ({
  url,
  ip,
  asn,
  asnname,
  server: "nginx",
  title,
  status: "200"
})

export const scans: ReadonlyArray<UrlscanServer.Scan> = [
  {
    uuid: "0f7a1c52-8f0e-4d3b-9a61-2b7c5d4e3f21",
    time: "2025-05-20T09:12:44.120Z",
    url: "https://www.mirage-sandbox.test/",
    page: page("https://www.mirage-sandbox.test/", "192.0.2.11", "AS64500", "MIRAGE-SANDBOX-AS, GB", "Mirage Sandbox")
  },
  {
    uuid: "3b9e2d10-4c5f-4a7e-8b1d-6f0e9c8b7a65",
    time: "2025-04-02T17:40:03.512Z",
    url: "https://shop.mirage-sandbox.test/",
    page: page("https://shop.mirage-sandbox.test/cart", "192.0.2.14", "AS64500", "MIRAGE-SANDBOX-AS, GB", "Cart")
  },
  {
    // Redirected off the domain: the page and its address are someone else's.
    uuid: "7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
    time: "2025-03-11T06:01:59.000Z",
    url: "http://mirage-sandbox.test/pay",
    page: page("https://payments.example/checkout", "198.18.0.7", "AS64496", "PAYMENTS-EXAMPLE, US", "Checkout")
  }
]

const seen = (first: string, last: string) => ({ first, last })

export const resolutions: ReadonlyArray<OtxServer.Resolution> = [
  {
    hostname: domain,
    address: "192.0.2.10",
    record_type: "A",
    ...seen("2019-05-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "www.mirage-sandbox.test",
    address: "192.0.2.11",
    record_type: "A",
    ...seen("2019-05-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "www.mirage-sandbox.test",
    address: "2001:0db8:0000:0000:0000:0000:0000:0011",
    record_type: "AAAA",
    ...seen("2021-01-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "api.mirage-sandbox.test",
    address: "192.0.2.12",
    record_type: "A",
    ...seen("2020-02-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "staging.mirage-sandbox.test",
    address: "192.0.2.20",
    record_type: "A",
    ...seen("2024-09-01T00:00:00", "2025-05-01T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "cdn.mirage-sandbox.test",
    address: "edge.mirage-sandbox.test",
    record_type: "CNAME",
    ...seen("2022-01-01T00:00:00", "2025-05-30T00:00:00"),
    asn: null
  },
  {
    hostname: "legacy.mirage-sandbox.test",
    address: "NXDOMAIN",
    record_type: "A",
    ...seen("2015-01-01T00:00:00", "2019-03-01T00:00:00"),
    asn: null
  },
  {
    // A CNAME to a provider's name: not the sandbox's, so not reported.
    hostname: "mail.mirage-sandbox.test",
    address: "mx.hosting-provider.example",
    record_type: "CNAME",
    ...seen("2018-01-01T00:00:00", "2019-01-01T00:00:00"),
    asn: null
  }
]
