// Every role assignment, each on the narrowest scope that works, each named
// guid(scope, principal, role) so a redeployment finds the assignment it made before.

@description('Storage account the app uses for its host state, its records and its deployment package.')
param storageAccountName string

@description('Application Insights component the app sends telemetry to.')
param applicationInsightsName string

@description('Key Vault that holds the Twilio auth token.')
param keyVaultName string

@description('Name of the Key Vault secret that holds the Twilio auth token.')
param twilioAuthTokenName string

@description('Name of the Key Vault secret behind FLOW_HTTP_SECRET.')
param flowHttpSecretName string

@description('Whether that secret exists, so the app gets read access to it.')
param grantFlowHttpSecret bool

@description('Principal (object) ID of the function app\'s user-assigned identity.')
param identityPrincipalId string

@description('Object ID of a person or pipeline that works against these resources from outside Azure; empty grants nothing.')
param userPrincipalId string

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('What kind of principal userPrincipalId is.')
param userPrincipalType string

// Built-in role definitions (the same IDs in every subscription).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

// Blob: the host's leases and keys, and reading the deployment package (Flex Consumption asks
// for Owner on the package container). Queue: the host's internal queues and the app's outbound
// queue (sendQueued reads it, webhooks write to it). Table: the app's records.
var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName

  resource twilioAuthTokenSecret 'secrets' existing = {
    name: twilioAuthTokenName
  }

  resource flowHttpSecret 'secrets' existing = {
    name: flowHttpSecretName
  }
}

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storageAccount.id, identityPrincipalId, role)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Telemetry with local auth off is accepted only from identities holding this role.
resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Read access to the secrets the app needs, each on its own, not to the whole vault.
resource appAuthToken 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault::twilioAuthTokenSecret.id, identityPrincipalId, roles.keyVaultSecretsUser)
  scope: vault::twilioAuthTokenSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appFlowHttpSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantFlowHttpSecret) {
  name: guid(vault::flowHttpSecret.id, identityPrincipalId, roles.keyVaultSecretsUser)
  scope: vault::flowHttpSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: if (!empty(userPrincipalId)) {
    name: guid(storageAccount.id, userPrincipalId, role)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(applicationInsights.id, userPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}

// Officer rather than User: the person who deploys is the one who rotates the token, which
// means writing a new secret version. Owner of the resource group alone cannot: with RBAC
// authorization, reading and writing secrets are data actions that need a Key Vault role.
resource userVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(vault.id, userPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
