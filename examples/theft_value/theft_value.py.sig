{
  "publisher": "\u793a\u4f8b\u533a\u6cd5\u5236\u5927\u961f",
  "public_key": "9kkdnwPdhGEjOpeiwfGE9ntWuUnPq7iP94MbatGSDA4=",
  "signature": "uxiJKNtjUPyWgka4BSocyJXt7XnMikpS2E8hwoEfSNk4Uhw/CmilKYZtGEeLVS0jfMEyCU40E/kkEKe0H3VzBg=="
}