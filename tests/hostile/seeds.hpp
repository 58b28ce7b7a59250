#pragma once
// Valid input the hostile suite starts from: ingest files in both formats
// using every field, time form, quoting rule and label escape of
// healthctl-ingest(1), so that mutations land on each of them.

#include <string>
#include <vector>

namespace hostile {

inline const std::vector<std::string>& ndjson_seeds() {
  static const std::vector<std::string> k_seeds = {
      // The flat fast path, every field and time form, a blank line and a CRLF line end.
      "{\"ts\":\"2025-01-15T10:00:00Z\",\"component\":\"database\",\"name\":\"query_ms\",\"type\":\"timer\","
      "\"unit\":\"ms\",\"value\":12.5}\n"
      "{\"ts_ms\":1736935200500,\"node\":\"web-1\",\"component\":\"database\",\"name\":\"query_ms\","
      "\"labels\":{\"route\":\"/api\"},\"type\":\"timer\",\"value\":7,\"context\":{\"query\":\"select_user\","
      "\"rows\":[1,2]}}\n"
      "{\"ts\":\"-5m\",\"component\":\"queue\",\"name\":\"depth\",\"type\":\"gauge\",\"value\":17}\n"
      "\n"
      "{\"ts\":\"now\",\"component\":\"queue\",\"name\":\"jobs_done\",\"value\":4}\r\n"
      "{\"ts\":\"@1736937000.25\",\"component\":\"web\",\"name\":\"requests\",\"labels\":{\"method\":\"GET\","
      "\"route\":\"/x\"}}\n"
      "{\"ts\":\"2025-01-15 09:30\",\"component\":\"system\",\"name\":\"disk_used\",\"type\":\"gauge\","
      "\"unit\":\"percent\",\"value\":71.4}\n"
      "{ \"ts\" : \"yesterday\" , \"component\" : \"web\" , \"name\" : \"errors_5xx\" , \"value\" : 0 }\n"
      "{\"ts\":\"now-1h\",\"component\":\"web\",\"name\":\"requests\",\"labels\":{\"method\":\"GET\","
      "\"route\":\"/x\"},\"value\":3,\"context\":null,\"unit\":null}\n"
      "{\"ts\":\"2025-01-15T10:29:00.123456+00:00\",\"component\":\"cache\",\"name\":\"hit_ratio\","
      "\"type\":\"rolling\",\"value\":0.93}\n",
      // The general parser: escapes, nested context, numbers in exponent form.
      "\xef\xbb\xbf{\"ts\":\"1h\",\"component\":\"esc\",\"name\":\"s\",\"labels\":{\"k\":\"v\\u00e9\\\\;\"},"
      "\"value\":1e2}\n"
      "{\"ts\":\"2025-01-15t10:00:00z\",\"component\":\"esc\",\"name\":\"s\",\"labels\":{\"k\":\"v\\u00e9\\\\;\"},"
      "\"context\":{\"a\":{\"b\":[true,false,null,\"\\n\\t\"]},\"n\":-0.5e-3}}\n"
      "{\"ts_ms\":1736900000000,\"component\":\"esc\",\"name\":\"g\",\"type\":\"gauge\",\"value\":-42,"
      "\"unit\":\"%\"}\n"};
  return k_seeds;
}

inline const std::vector<std::string>& csv_seeds() {
  static const std::vector<std::string> k_seeds = {
      // The export header: quoting, label escapes, a quoted line break, blank lines.
      "ts,ts_ms,node,component,name,labels,type,unit,value,context\n"
      "2025-01-15T10:00:00.000Z,1736935200000,web-1,database,query_ms,,timer,ms,27.6,\n"
      ",1736935200500,web-1,database,query_ms,route=/api;method=GET,timer,ms,12.5,"
      "\"{\"\"query\"\":\"\"select_user\"\"}\"\n"
      "-5m,,,queue,depth,,gauge,,17,\n"
      "\n"
      "now,,,queue,jobs_done,,,,4,\r\n"
      "@1736937000.25,,,web,requests,method=GET;route=/x,counter,,,\n"
      "2025-01-15 09:30,,,system,disk_used,,gauge,percent,71.4,\n"
      "yesterday,,,web,errors_5xx,a=b\\;c;d=e\\\\f,counter,,0,\n"
      "\"now-1h\",,\"web-1\",\"web\",\"requests\",\"method=GET;route=/x\",,,3,\"{\"\"multi\"\":\"\"line\n"
      "break\"\",\"\"n\"\":[1,{\"\"x\"\":null}]}\"\n",
      // Another order and a subset of the columns, with a byte order mark.
      "\xef\xbb\xbf" "component,name,value,ts\n"
      "web,requests,3,now\n"
      "web,requests,,-1h\n"
      "web,latency,1e-3,2025-01-15T10:29:00.5+01:00\n"};
  return k_seeds;
}

} // namespace hostile
