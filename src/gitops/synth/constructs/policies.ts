// The address policies (src/api/policies) as Kubernetes objects: each ValidatingAdmissionPolicy
// with its binding, whose paramRef points at the chart's params ConfigMap or at the reservation
// IPAddressPools in the release namespace.
import { ApiObject } from "cdk8s";
import type { Construct } from "constructs";
import { POLICY_PARAMS, type PolicySpec } from "../../../api/policies/address-policies.js";

export class AddressPolicy extends ApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: { policy: PolicySpec; paramsNamespace: string },
  ) {
    const { policy, paramsNamespace } = props;
    super(scope, id, {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: policy.name },
      spec: policy.spec,
    });
    new ApiObject(scope, `${id}-binding`, {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: policy.name },
      spec: {
        policyName: policy.name,
        validationActions: ["Deny"],
        paramRef:
          policy.params.kind === "ConfigMap"
            ? // Fail closed: without its identities the policy cannot tell who is asking.
              {
                name: POLICY_PARAMS.name,
                namespace: paramsNamespace,
                parameterNotFoundAction: "Deny",
              }
            : // No reservation, nothing reserved.
              {
                selector: policy.params.selector,
                namespace: paramsNamespace,
                parameterNotFoundAction: "Allow",
              },
      },
    });
  }
}
