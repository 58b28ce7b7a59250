# Turns schema/NNN_description.sql files into a C++ table of migrations.
# Usage: cmake -DOUTPUT=file.cpp "-DINPUTS=a.sql;b.sql" -P embed_schema.cmake
set(body "")
set(expected 1)
foreach(input IN LISTS INPUTS)
  get_filename_component(name ${input} NAME_WE)
  string(REGEX MATCH "^([0-9][0-9][0-9])_(.+)$" _ ${name})
  math(EXPR version "${CMAKE_MATCH_1}")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "schema: ${name}.sql breaks the sequence (expected version ${expected})")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ ${input} sql)
  string(FIND "${sql}" ")healthsql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "schema: ${name}.sql contains the raw string delimiter")
  endif()
  string(APPEND body "    {${version}, \"${CMAKE_MATCH_2}\", R\"healthsql(${sql})healthsql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from schema/*.sql at build time. Do not edit.
#include \"store/schema.hpp\"

namespace health::schema {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> k_migrations{
${body}  };
  return k_migrations;
}

} // namespace health::schema
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
