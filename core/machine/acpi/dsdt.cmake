# The DSDT is ASL (dsdt.asl) compiled by iasl from acpica-tools when vtlab is
# built, and embedded in vtlab_machine as kDsdtAml (dsdt_aml.h). iasl's
# warnings are errors. Included from the top-level CMakeLists.txt after the
# vtlab_machine target exists; VTLAB_DSDT_SOURCE names the generated file
# for targets that compile the loader sources without the library (tests).
find_program(IASL iasl REQUIRED)
set(dsdt_dir ${CMAKE_BINARY_DIR}/acpi)
set(dsdt_asl ${CMAKE_CURRENT_LIST_DIR}/dsdt.asl)
set(VTLAB_DSDT_SOURCE ${dsdt_dir}/dsdt_aml.cpp)
file(MAKE_DIRECTORY ${dsdt_dir})
add_custom_command(
  OUTPUT ${VTLAB_DSDT_SOURCE} ${dsdt_dir}/dsdt.aml
  COMMAND ${IASL} -vs -we -p ${dsdt_dir}/dsdt ${dsdt_asl}
  COMMAND ${CMAKE_COMMAND} -DAML=${dsdt_dir}/dsdt.aml -DOUT=${VTLAB_DSDT_SOURCE}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_aml.cmake
  DEPENDS ${dsdt_asl} ${CMAKE_CURRENT_LIST_DIR}/embed_aml.cmake
  COMMENT "IASL dsdt.asl"
  VERBATIM)
target_sources(vtlab_machine PRIVATE ${VTLAB_DSDT_SOURCE})
