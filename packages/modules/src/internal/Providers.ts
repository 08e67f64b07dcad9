/**
 * Who runs a host, by the suffix of its name: the certificate authorities CAA records name, and
 * the mail, DNS and sending services MX, NS and SPF records point at. Heuristic tables compiled from
 * providers' documentation and public checkers (see docs/SOURCES.md §31–33); a match is a hint.
 */
import { inScope } from "../Scope.js"

export type SuffixTable = Readonly<Record<string, ReadonlyArray<string>>>

/** CAA issuer domain names (RFC 8659 `issue`/`issuewild` values) by certificate authority. */
export const certificateAuthorities: SuffixTable = {
  "Let's Encrypt": ["letsencrypt.org"],
  "Google Trust Services": ["pki.goog"],
  "Amazon": ["amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com"],
  "DigiCert": ["digicert.com", "symantec.com", "geotrust.com", "rapidssl.com", "thawte.com", "digicert.ne.jp"],
  "Sectigo": ["sectigo.com", "comodoca.com", "comodo.com", "usertrust.com", "trust-provider.com"],
  "GlobalSign": ["globalsign.com"],
  "GoDaddy": ["godaddy.com", "starfieldtech.com"],
  "Entrust": ["entrust.net", "affirmtrust.com"],
  "Buypass": ["buypass.com", "buypass.no"],
  "SSL.com": ["ssl.com"],
  "ZeroSSL": ["zerossl.com"],
  "IdenTrust": ["identrust.com"],
  "HARICA": ["harica.gr"],
  "Certum": ["certum.pl", "certum.eu"],
  "Telia": ["telia.com"],
  "QuoVadis": ["quovadisglobal.com"],
  "Microsoft": ["microsoft.com"],
  "Apple": ["apple.com"]
}

/** MX exchange suffixes by mail service. */
export const mailProviders: SuffixTable = {
  "Google Workspace": ["google.com", "googlemail.com"],
  "Microsoft 365": ["mail.protection.outlook.com", "mx.microsoft", "outlook.com", "hotmail.com"],
  "Proofpoint": ["pphosted.com", "ppe-hosted.com", "proofpoint.com"],
  "Mimecast": ["mimecast.com", "mimecast.co.za"],
  "Barracuda": ["barracudanetworks.com", "cudamail.com"],
  "Cisco Secure Email": ["iphmx.com"],
  "Trend Micro": ["tmes.trendmicro.com", "tmes.trendmicro.eu", "in.hes.trendmicro.com"],
  "Sophos": ["hydra.sophos.com", "sophos.com"],
  "Broadcom Email Security": ["messagelabs.com"],
  "Forcepoint": ["mailcontrol.com"],
  "Zoho Mail": ["zoho.com", "zoho.eu", "zoho.in"],
  "Fastmail": ["messagingengine.com"],
  "Proton Mail": ["protonmail.ch"],
  "Yandex": ["yandex.net", "yandex.ru"],
  "Amazon SES / WorkMail": ["amazonses.com", "awsapps.com"],
  "Mailgun": ["mailgun.org"],
  "SendGrid": ["sendgrid.net"],
  "GoDaddy": ["secureserver.net"],
  "Cloudflare Email Routing": ["mx.cloudflare.net"],
  "Namecheap": ["registrar-servers.com", "privateemail.com"],
  "Gandi": ["gandi.net"],
  "OVHcloud": ["ovh.net"]
}

/** NS host suffixes by DNS service. */
export const dnsProviders: SuffixTable = {
  "Cloudflare": ["ns.cloudflare.com"],
  "Amazon Route 53": ["awsdns-00.com", "awsdns-00.net", "awsdns-00.org", "awsdns-00.co.uk"],
  "Azure DNS": ["azure-dns.com", "azure-dns.net", "azure-dns.org", "azure-dns.info"],
  "Google Cloud DNS": ["googledomains.com"],
  "Akamai": ["akam.net", "akamaiedge.net"],
  "NS1": ["nsone.net"],
  "UltraDNS": ["ultradns.com", "ultradns.net", "ultradns.org", "ultradns.biz"],
  "Dyn": ["dynect.net"],
  "DNSimple": ["dnsimple.com"],
  "DNS Made Easy": ["dnsmadeeasy.com"],
  "GoDaddy": ["domaincontrol.com"],
  "Namecheap": ["registrar-servers.com"],
  "Gandi": ["gandi.net"],
  "OVHcloud": ["ovh.net"],
  "Hetzner": ["hetzner.com", "hetzner.de"],
  "DigitalOcean": ["digitalocean.com"],
  "Linode": ["linode.com"],
  "Vercel": ["vercel-dns.com"],
  "Wix": ["wixdns.net"],
  "Squarespace": ["squarespace-dns.com"],
  "Zoho": ["zoho.com"],
  "Fastmail": ["messagingengine.com"],
  "Yandex": ["yandex.net"]
}

/** SPF `include:`/`redirect=` domain suffixes by sending service. */
export const senders: SuffixTable = {
  "Google Workspace": ["_spf.google.com", "googlemail.com"],
  "Microsoft 365": ["spf.protection.outlook.com"],
  "SendGrid": ["sendgrid.net"],
  "Mailgun": ["mailgun.org"],
  "Amazon SES": ["amazonses.com"],
  "Mailchimp": ["servers.mcsv.net", "spf.mandrillapp.com"],
  "Salesforce": ["_spf.salesforce.com"],
  "Marketo": ["mktomail.com"],
  "Zendesk": ["mail.zendesk.com", "zendesk.com"],
  "MailerLite": ["_spf.mlsend.com"],
  "Brevo": ["spf.brevo.com", "sendinblue.com"],
  "Help Scout": ["helpscoutemail.com"],
  "Atlassian": ["_spf.atlassian.net"],
  "Mailjet": ["spf.mailjet.com"],
  "Shopify": ["shops.shopify.com"],
  "Fastmail": ["spf.messagingengine.com"],
  "Zoho Mail": ["zoho.com", "zoho.eu"],
  "Proofpoint": ["pphosted.com"],
  "Mimecast": ["_netblocks.mimecast.com", "mimecast.com"]
}

/** Route 53's name servers are `ns-N.awsdns-NN.tld`: any `awsdns-NN` label is Route 53. */
const normalizeRoute53 = (host: string) => host.replace(/awsdns-\d+\./, "awsdns-00.")

/** The provider whose longest suffix matches the host (lower case, no trailing dot), if any. */
export const providerOf = (host: string, table: SuffixTable): string | undefined => {
  const name = normalizeRoute53(host.toLowerCase().replace(/\.$/, ""))
  let best: { readonly provider: string; readonly length: number } | undefined
  for (const [provider, suffixes] of Object.entries(table)) {
    for (const suffix of suffixes) {
      if (inScope(name, suffix) && suffix.length > (best?.length ?? 0)) {
        best = { provider, length: suffix.length }
      }
    }
  }
  return best?.provider
}
