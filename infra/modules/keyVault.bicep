// The Twilio auth token (and the flow's http signing secret, when there is one) live here and
// nowhere else in Azure: the function app's settings are Key Vault references that App Service
// resolves with the app's user-assigned identity.

@description('Region of the vault.')
param location string

@description('Tags for the vault.')
param tags object

@minLength(3)
@maxLength(24)
@description('Name of the vault: 3 to 24 letters, digits and hyphens, unique in Azure.')
param name string

@description('Turn on purge protection: nobody can purge a deleted vault or secret before its retention period ends. Once on, it cannot be turned off.')
param enablePurgeProtection bool

@minValue(7)
@maxValue(90)
@description('Days a deleted vault or secret can be recovered. Fixed once the vault exists.')
param softDeleteRetentionInDays int

@description('Name of the Key Vault secret that holds the Twilio auth token.')
param twilioAuthTokenName string

@secure()
@description('The Twilio auth token.')
param twilioAuthToken string

@description('Name of the Key Vault secret that holds FLOW_HTTP_SECRET.')
param flowHttpSecretName string

@description('Whether to keep flowHttpSecret (a secure value cannot decide an output).')
param keepFlowHttpSecret bool

@secure()
@description('The secret that signs the flow\'s http requests.')
param flowHttpSecret string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC, not access policies: the app gets Key Vault Secrets User on this one secret.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The API refuses an explicit false, so "off" is expressed by leaving the property out.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    // Flex Consumption cannot resolve Key Vault references against a network-restricted vault;
    // access is still limited to Entra identities holding a role on the secret.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource twilioAuthTokenSecret 'secrets' = {
    name: twilioAuthTokenName
    properties: {
      value: twilioAuthToken
      contentType: 'text/plain'
      attributes: {
        enabled: true
      }
    }
  }
}

resource flowHttpSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (keepFlowHttpSecret) {
  parent: vault
  name: flowHttpSecretName
  properties: {
    value: flowHttpSecret
    contentType: 'text/plain'
    attributes: {
      enabled: true
    }
  }
}

output name string = vault.name
output twilioAuthTokenName string = vault::twilioAuthTokenSecret.name
// Versionless on purpose: the app follows the newest version, so rotating needs no redeploy.
output twilioAuthTokenUri string = vault::twilioAuthTokenSecret.properties.secretUri
output flowHttpSecretName string = flowHttpSecretName
// Empty when there is no such secret: the app then gets no FLOW_HTTP_SECRET setting.
output flowHttpSecretUri string = !keepFlowHttpSecret ? '' : flowHttpSecretValue!.properties.secretUri
