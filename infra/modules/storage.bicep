// The one storage account: the Functions host's own state, the app's records (tables), the texts
// it sends on its own (queues), and the deployment package. Reached only with Entra identities;
// shared keys are off.

@description('Region of the storage account.')
param location string

@description('Tags for the storage account.')
param tags object

@minLength(3)
@maxLength(24)
@description('Name of the storage account: 3 to 24 lowercase letters and digits, unique in Azure.')
param name string

@description('Blob container that holds the deployment package the Flex Consumption plan runs from.')
param deploymentContainerName string

@description('Tables the app keeps its records in. Declared here so that the first request in Azure does not wait for creating them.')
param tableNames string[]

@description('Queues the app sends through (and their poison queues). Declared here so that they exist before the first message and can be watched.')
param queueNames string[]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource appQueues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource appTables 'tables' = [
      for tableName in tableNames: {
        name: tableName
      }
    ]
  }
}

output name string = storageAccount.name
output blobEndpoint string = storageAccount.properties.primaryEndpoints.blob
output queueEndpoint string = storageAccount.properties.primaryEndpoints.queue
output tableEndpoint string = storageAccount.properties.primaryEndpoints.table
