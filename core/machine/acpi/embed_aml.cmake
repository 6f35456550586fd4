# cmake -DAML=file.aml -DOUT=file.cpp -P embed_aml.cmake
# Writes the bytes of the compiled DSDT as the C++ array declared in dsdt_aml.h.
file(READ ${AML} hex HEX)
string(LENGTH "${hex}" hex_length)
if(hex_length EQUAL 0)
  message(FATAL_ERROR "${AML} is empty")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n    " bytes "${bytes}")
math(EXPR size "${hex_length} / 2")
file(WRITE ${OUT} "// Generated from dsdt.asl by iasl and embed_aml.cmake; do not edit.\n"
                  "#include \"core/machine/acpi/dsdt_aml.h\"\n\n"
                  "namespace vtlab::acpi {\n"
                  "const unsigned char kDsdtAml[] = {\n    ${bytes}\n};\n"
                  "const std::size_t kDsdtAmlSize = ${size};\n"
                  "}  // namespace vtlab::acpi\n")
