/** The modules endpoints (`/modules`): the registry's modules, with their sources' key status from configuration. */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import * as CredentialsConfig from "@mirage/runtime/collection/Credentials/Config"
import * as ModuleListing from "@mirage/runtime/collection/ModuleListing"
import { Layer } from "effect"

export const layer = HttpApiBuilder.group(MirageApi, "modules", (handlers) =>
  handlers
    .handle("list", ({ urlParams }) => ModuleListing.list(urlParams))
    .handle("get", ({ path }) => ModuleListing.get(path.id))).pipe(Layer.provide(CredentialsConfig.layer))
