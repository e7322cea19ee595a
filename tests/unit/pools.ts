// Builds allocator pools from IPAddressPool specs in tests.
import type { IPAddressPoolSpec } from "../../src/api/kinds/ipaddresspool.js";
import { parsePool, type Pool } from "../../src/model/pool.js";

export function pool(name: string, spec: IPAddressPoolSpec): Pool {
  const r = parsePool(name, spec);
  if ("errors" in r) throw new Error(r.errors.join("; "));
  return r.pool;
}
