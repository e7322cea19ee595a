// client-node 1.x builds a new https.Agent for every API call, so each call pays a TCP + TLS
// handshake and a fresh SecureContext (69% of the controller's busy time at 5,000 Services).
// This KubeConfig hands every call one keep-alive agent.
import { Agent } from "node:https";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

export class PooledKubeConfig extends KubeConfig {
  private pooled: Agent | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    if (!(fresh instanceof Agent)) return;
    this.pooled ??= new Agent({ ...fresh.options, keepAlive: true });
    context.setAgent(this.pooled);
  }

  /** Closes the kept-alive sockets (so a process can exit without waiting for them). */
  close(): void {
    this.pooled?.destroy();
  }
}
