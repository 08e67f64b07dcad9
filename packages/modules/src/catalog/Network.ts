/** Modules that talk to targets' own infrastructure: DNS, TLS, TCP and web servers. */
import type { Module } from "../Module.js"
import { crtsh } from "../modules/crtsh.js"
import { dnsBrute } from "../modules/dns_brute.js"
import { dnsProvidersModule } from "../modules/dns_providers.js"
import { dnsRecords } from "../modules/dns_records.js"
import { dnsResolve } from "../modules/dns_resolve.js"
import { dnsZoneTransfer } from "../modules/dns_zone_transfer.js"
import { dnscaa } from "../modules/dnscaa.js"
import { emailFormat } from "../modules/email_format.js"
import { emailSecurity } from "../modules/email_security.js"
import { faviconHashModule } from "../modules/favicon_hash.js"
import { httpProbe } from "../modules/http_probe.js"
import { humansTxt } from "../modules/humans_txt.js"
import { portScanTcp } from "../modules/port_scan_tcp.js"
import { reverseDns } from "../modules/reverse_dns.js"
import { robotsSitemap } from "../modules/robots_sitemap.js"
import { securitytxt } from "../modules/securitytxt.js"
import { subdomainTakeover } from "../modules/subdomain_takeover.js"
import { techFingerprint } from "../modules/tech_fingerprint.js"
import { tlsCertificate } from "../modules/tls_certificate.js"
import { wafCdn } from "../modules/waf_cdn.js"
import { webSpider } from "../modules/web_spider.js"

export const networkModules: ReadonlyArray<Module> = [
  dnsResolve,
  crtsh,
  dnsRecords,
  reverseDns,
  dnsBrute,
  dnsZoneTransfer,
  tlsCertificate,
  portScanTcp,
  httpProbe,
  webSpider,
  robotsSitemap,
  emailFormat,
  dnscaa,
  emailSecurity,
  subdomainTakeover,
  dnsProvidersModule,
  securitytxt,
  humansTxt,
  wafCdn,
  techFingerprint,
  faviconHashModule
]
