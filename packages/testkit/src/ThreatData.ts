/**
 * What the sandbox's reputation, threat and vulnerability sources know: the sandbox's VPN endpoint
 * seen brute-forcing SSH and listed as a botnet's controller, its forgotten host serving a phishing
 * kit, the Jenkins CVE its staging host carries, a hijacked range on DROP, and the keys they accept.
 * The data ThreatSources' emulations serve.
 */
import { faviconHash } from "@mirage/modules/internal/Murmur3"
import { favicon } from "./WebsiteServer.js"

/** Shodan's hash of the sandbox website's icon, which its staging host serves too. */
export const sandboxFaviconHash = faviconHash(favicon)

/** The keys each keyed threat source accepts, by source id (GreyNoise's, ipapi.is's and the NVD's are optional). */
export const threatKeys = {
  greynoise: "gn-sandbox-2b4d6f8a0c",
  abuseipdb: "abuseipdb-sandbox-1a3c5e7b9d",
  crowdsec: "crowdsec-sandbox-8f6d4b2a0e",
  onyphe: "onyphe-sandbox-7c5a3e1b9d",
  threatfox: "threatfox-sandbox-6e4c2a0b8d",
  google_safebrowsing: "AIzaSandboxSafeBrowsing000000000000000",
  nvd: "nvd-sandbox-0b2d4f6a8c",
  ipapi_is: "ipapi-sandbox-5d7f9b1c3e"
} as const

/** An address the threat sources saw misbehave. */
export interface Misbehaving {
  readonly ip: string
  readonly asn: number
  readonly holder: string
  readonly range: string
  readonly abuseScore: number
  readonly reports: number
  readonly categories: ReadonlyArray<number>
  readonly behaviors: ReadonlyArray<string>
  readonly cves: ReadonlyArray<string>
  readonly threatlist: string
  /** ThreatFox's IOCs on the address (`ip:port`) and the malware behind them. */
  readonly iocs: ReadonlyArray<{ readonly ioc: string; readonly malware: string }>
}

export const misbehaving: ReadonlyArray<Misbehaving> = [{
  ip: "203.0.113.5",
  asn: 64502,
  holder: "Edge Transit Networks",
  range: "203.0.113.0/24",
  abuseScore: 64,
  reports: 23,
  categories: [18, 22],
  behaviors: ["SSH Bruteforce"],
  cves: ["CVE-2024-6387"],
  threatlist: "sandbox botnet controllers",
  iocs: [{ ioc: "203.0.113.5:8443", malware: "Sliver" }]
}]

/** What ipapi.is says of the sandbox's addresses: the VPN endpoint is a VPN. */
export const addressKinds: ReadonlyArray<{
  readonly ip: string
  readonly asn: number
  readonly route: string
  readonly holder: string
  readonly vpn: boolean
}> = [
  { ip: "192.0.2.10", asn: 64500, route: "192.0.2.0/24", holder: "Mirage Sandbox Ltd", vpn: false },
  { ip: "192.0.2.11", asn: 64500, route: "192.0.2.0/24", holder: "Mirage Sandbox Ltd", vpn: false },
  { ip: "203.0.113.5", asn: 64502, route: "203.0.113.0/24", holder: "Edge Transit Networks", vpn: true }
]

/** The phishing URLs the feeds list: one on the sandbox's forgotten host, one of a look-alike, one elsewhere. */
export const phishingUrls: ReadonlyArray<string> = [
  "http://legacy.mirage-sandbox.test/secure/login.php",
  "https://mirage-sandbox.test.attacker.example/signin",
  "https://payments.example/verify"
]

/** What Safe Browsing lists: the forgotten host's home page as social engineering. */
export const unsafeUrls: ReadonlyArray<{ readonly url: string; readonly threatType: string }> = [
  { url: "http://legacy.mirage-sandbox.test/", threatType: "SOCIAL_ENGINEERING" }
]

/** Spamhaus DROP: a hijacked range near the sandbox's (not holding any of its addresses), and an IPv6 one. */
export const dropBlocks: ReadonlyArray<{ readonly cidr: string; readonly sblid: string; readonly rir: string }> = [
  { cidr: "198.51.100.128/25", sblid: "SBL600001", rir: "ripencc" },
  { cidr: "2001:db8:dead::/48", sblid: "SBL600002", rir: "ripencc" }
]

/** The CVEs the NVD and CISA's catalog know of: the staging host's Jenkins CVE (known exploited), the VPN's OpenSSH one. */
export interface CveRecord {
  readonly id: string
  readonly description: string
  readonly score: number
  readonly severity: string
  readonly cwe: string
  readonly published: string
  /** FIRST's EPSS probability of exploitation in the next 30 days, and its percentile. */
  readonly epss: number
  readonly epssPercentile: number
  readonly kev?: {
    readonly vendor: string
    readonly product: string
    readonly name: string
    readonly added: string
    readonly due: string
    readonly ransomware: "Known" | "Unknown"
  }
}

export const cves: ReadonlyArray<CveRecord> = [
  {
    id: "CVE-2024-23897",
    description: "Jenkins's CLI parser lets unauthenticated attackers read arbitrary files on the controller.",
    score: 9.8,
    severity: "CRITICAL",
    cwe: "CWE-27",
    published: "2024-01-24T18:15:09.370",
    epss: 0.97433,
    epssPercentile: 0.99965,
    kev: {
      vendor: "Jenkins",
      product: "Jenkins Command Line Interface (CLI)",
      name: "Jenkins Command Line Interface (CLI) Path Traversal Vulnerability",
      added: "2024-08-19",
      due: "2024-09-09",
      ransomware: "Known"
    }
  },
  {
    id: "CVE-2024-6387",
    description: "A signal handler race condition in OpenSSH's server (regreSSHion).",
    score: 8.1,
    severity: "HIGH",
    cwe: "CWE-364",
    published: "2024-07-01T13:15:10.020",
    epss: 0.40417,
    epssPercentile: 0.97121
  }
]

/** VirusTotal's address reports: the VPN endpoint flagged by a few engines, the web server clean. */
export const virustotalAddresses: ReadonlyArray<{
  readonly ip: string
  readonly asn: number
  readonly owner: string
  readonly network: string
  readonly malicious: number
}> = [
  { ip: "203.0.113.5", asn: 64502, owner: "Edge Transit Networks", network: "203.0.113.0/24", malicious: 3 },
  { ip: "192.0.2.11", asn: 64500, owner: "Mirage Sandbox Ltd", network: "192.0.2.0/24", malicious: 0 }
]
