// The walkthrough's workload (issue #9): a Redis state store reached through a Component whose
// password comes from a Kubernetes Secret, and the hello-world apps as Dapr-annotated
// Deployments, exactly as a user applies them with kubectl.

export interface HelloWorldInput {
  /** Where pods reach the Redis server (the pod network's host address and Redis' port). */
  readonly redisAddress: string;
  readonly redisPassword: string;
  readonly namespace?: string;
}

export function helloWorldManifests({
  redisAddress,
  redisPassword,
  namespace = 'default',
}: HelloWorldInput): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: redis
  namespace: ${namespace}
stringData:
  redis-password: ${JSON.stringify(redisPassword)}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
  namespace: ${namespace}
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: ${JSON.stringify(redisAddress)}
    - name: redisPassword
      secretKeyRef:
        name: redis
        key: redis-password
    # As in the state store \`dapr init\` writes: it also keeps actor state, so each daprd joins
    # placement (and the scheduler) and the walkthrough exercises those connections too.
    - name: actorStateStore
      value: "true"
auth:
  secretStore: kubernetes
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nodeapp
  namespace: ${namespace}
  labels:
    app: node
spec:
  replicas: 1
  selector:
    matchLabels:
      app: node
  template:
    metadata:
      labels:
        app: node
      annotations:
        dapr.io/enabled: "true"
        dapr.io/app-id: nodeapp
        dapr.io/app-port: "3000"
        dapr.io/enable-api-logging: "true"
    spec:
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: node
          image: dapr-ts/test-app:nodeapp
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
          ports:
            - containerPort: 3000
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pythonapp
  namespace: ${namespace}
  labels:
    app: python
spec:
  replicas: 1
  selector:
    matchLabels:
      app: python
  template:
    metadata:
      labels:
        app: python
      annotations:
        dapr.io/enabled: "true"
        dapr.io/app-id: pythonapp
        dapr.io/enable-api-logging: "true"
    spec:
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: python
          image: dapr-ts/test-app:pythonapp
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
`;
}
