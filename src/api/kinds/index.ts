// Every metallb.io kind, in the order the generators write them.
import { BFDProfileKind } from "./bfdprofile.js";
import { BGPAdvertisementKind } from "./bgpadvertisement.js";
import { BGPPeerKind } from "./bgppeer.js";
import { CommunityKind } from "./community.js";
import { IPAddressPoolKind } from "./ipaddresspool.js";
import type { KindDef } from "./kind.js";
import { L2AdvertisementKind } from "./l2advertisement.js";
import {
  ConfigurationStateKind,
  ServiceBGPStatusKind,
  ServiceL2StatusKind,
} from "./status-kinds.js";

export const KINDS: readonly KindDef[] = [
  IPAddressPoolKind,
  L2AdvertisementKind,
  BGPAdvertisementKind,
  BGPPeerKind,
  BFDProfileKind,
  CommunityKind,
  ServiceL2StatusKind,
  ServiceBGPStatusKind,
  ConfigurationStateKind,
];
