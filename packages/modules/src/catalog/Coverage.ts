/**
 * Modules that take what other modules find further: netblocks swept, certificates, technologies and breaches
 * looked up, vulnerabilities scored — so every kind of entity leads somewhere.
 */
import type { Module } from "../Module.js"
import { certificateAnalysis } from "../modules/certificate_analysis.js"
import { epss } from "../modules/epss.js"
import { hibpBreach } from "../modules/hibp_breach.js"
import { hibpDomainBreaches } from "../modules/hibp_domain_breaches.js"
import { netblockPtrSweep } from "../modules/netblock_ptr_sweep.js"
import { nvdCpe } from "../modules/nvd_cpe.js"

export const coverageModules: ReadonlyArray<Module> = [
  netblockPtrSweep,
  certificateAnalysis,
  nvdCpe,
  epss,
  hibpBreach,
  hibpDomainBreaches
]
