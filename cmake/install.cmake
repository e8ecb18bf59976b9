# Install layout and the Debian package (CPack). Included from the top
# CMakeLists.txt after the targets exist. Why these paths and Depends:
# docs/decisions.md, "Packages and install layout".
#
#   cmake --install build                      # into the live system (root)
#   DESTDIR=/tmp/stage cmake --install build   # staged (the CNI dirs are absolute)
#   (cd build && cpack)                         # build/zos-cni_<version>_amd64.deb

# With no prefix given, /usr: the plugins go to fixed CNI paths anyway, and
# the docs belong beside them in /usr/share/doc, not /usr/local.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install prefix (docs)" FORCE)
endif()
include(GNUInstallDirs)

set(ZOS_CNI_BIN_DIRS "/opt/cni/bin;/usr/lib/cni" CACHE STRING
    "Folders that get the plugins and zos-nft: the first holds the files, the others relative symlinks to them")
set(ZOS_SBIN_DIR "/usr/sbin" CACHE STRING
    "Folder for symlinks to the node commands zos-nr and zos-bootstrap (empty: none)")
option(ZOS_INSTALL_CNI_CONF
       "Also install the example conflist in /etc/cni/net.d and its network object in /etc/zos/networks (a runtime picks it up at once)"
       OFF)

set(zos_programs zos-nr zos-nr-zbus zos-ipam zos-nft)
if(TARGET zos-bootstrap)
  list(APPEND zos_programs zos-bootstrap)
endif()
if(TARGET zos-agent)
  list(APPEND zos_programs zos-agent)
endif()
list(GET ZOS_CNI_BIN_DIRS 0 zos_bin_dir)
install(TARGETS ${zos_programs} RUNTIME DESTINATION ${zos_bin_dir} COMPONENT zos-cni)

# zos-nr finds zos-nft and zos-nr-zbus (the daemon `zos-nr serve` execs)
# beside the file it runs from (/proc/self/exe, which resolves symlinks), so
# a symlink in another folder still finds the real ones in the first one.
function(zos_install_links dir names)
  cmake_path(RELATIVE_PATH zos_bin_dir BASE_DIRECTORY ${dir} OUTPUT_VARIABLE rel)
  foreach(name ${names})
    install(CODE "
      set(link \"\$ENV{DESTDIR}${dir}/${name}\")
      file(MAKE_DIRECTORY \"\$ENV{DESTDIR}${dir}\")
      message(STATUS \"Installing: \${link} -> ${rel}/${name}\")
      file(CREATE_LINK \"${rel}/${name}\" \"\${link}\" SYMBOLIC)
      list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${link}\")
    " COMPONENT zos-cni)
  endforeach()
endfunction()

list(SUBLIST ZOS_CNI_BIN_DIRS 1 -1 zos_link_dirs)
foreach(dir ${zos_link_dirs})
  zos_install_links(${dir} "${zos_programs}")
endforeach()
if(ZOS_SBIN_DIR)
  set(zos_commands zos-nr)
  if(TARGET zos-bootstrap)
    list(APPEND zos_commands zos-bootstrap)
  endif()
  if(TARGET zos-agent)
    list(APPEND zos_commands zos-agent)
  endif()
  zos_install_links(${ZOS_SBIN_DIR} "${zos_commands}")
endif()

# Relative to the prefix: /usr/share/doc/zos-cni in the .deb whatever an
# older build tree has cached as CMAKE_INSTALL_PREFIX.
set(zos_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/zos-cni)
install(FILES README.md DESTINATION ${zos_docdir} COMPONENT zos-cni)
file(GLOB zos_docs ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${zos_docs} DESTINATION ${zos_docdir}/docs COMPONENT zos-cni)
install(FILES conf/10-zos.conflist conf/network-demo.json DESTINATION ${zos_docdir}/examples COMPONENT zos-cni)
if(ZOS_INSTALL_CNI_CONF)
  # Component zos-cni-conf: cmake --install only, never in the .deb (below).
  install(FILES conf/10-zos.conflist DESTINATION /etc/cni/net.d COMPONENT zos-cni-conf)
  install(FILES conf/network-demo.json DESTINATION /etc/zos/networks RENAME demo.json COMPONENT zos-cni-conf)
endif()

# --- the Debian package -----------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_NAME zos-cni)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CNI plugins for the Zero-OS network model")
# The synopsis is the summary above; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "zos-cni brings the Zero-OS node networking model to CNI runtimes
(containerd, CRI-O, podman, cnitool): a tenant network spans many nodes, and
on each node its network resource is a namespace that routes and firewalls
for the tenant's containers, a bridge they plug into, and a WireGuard link
to the tenant's other nodes.
.
Plugins: zos-nr (main plugin and NR management; its zbus daemon
zos-nr-zbus runs as zos-nr serve), zos-ipam (IPAM), with the
node command zos-bootstrap (uplink bridge, public namespace), the fleet's
node agent zos-agent (networks from etcd) and the nftables helper zos-nft,
in /opt/cni/bin and /usr/lib/cni.")
set(ZOS_DEB_MAINTAINER "zos-cni maintainers <maintainers@users.noreply.r-seed-46305599.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${ZOS_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ZOS_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # zos-cni_<version>_<arch>.deb
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_STRIP_FILES ON)
# zos-nr, zos-nr-zbus, zos-ipam and zos-bootstrap are static; dpkg-shlibdeps finds what
# zos-nft and zos-agent link (libnftables1, libcurl4, libc6, libstdc++6,
# libgcc-s1) with versions.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Added to what shlibdeps finds: libnftables resolves the protocol names of
# the NR firewall (icmp, ipv6-icmp) through /etc/protocols, which is netbase's.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "netbase")
# Run-time helpers, none needed to attach a container on a kernel with
# WireGuard: wireguard-go where the kernel has none, udhcpc and ip(8) for
# zos-bootstrap's DHCP probe and lease script, dhcpcd for its DHCPv6. All small.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "wireguard-go, busybox-static | busybox | udhcpc, dhcpcd-base, iproute2")
# wg(8) to look at links (wireguard-tools recommends the kernel modules
# package, i.e. a kernel image: ~470 MB); nft(8) to inspect the NR firewall;
# the reference plugins (loopback, which containerd's CRI needs; bandwidth).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "wireguard-tools, nftables, containernetworking-plugins")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})
# Only the zos-cni component: a conflist in /etc/cni/net.d would take over a
# node's runtime on install.
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};${PROJECT_NAME};zos-cni;/")
include(CPack)
