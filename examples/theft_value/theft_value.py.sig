{
  "publisher": "\u793a\u4f8b\u533a\u6cd5\u5236\u5927\u961f",
  "public_key": "9kkdnwPdhGEjOpeiwfGE9ntWuUnPq7iP94MbatGSDA4=",
  "signature": "wwtAP7W7jY3LJ51nSRS8CoHF1ibSTsrvSIvtGSnkCRaoeKftHD2YAZu8M6RdEeB2fvOh/rLt4zhZGPmhfm/bCw=="
}