package io.dfmigrate.common.event;

/** ERROR blocks the start; WARNING needs an acknowledgement; INFO is for the record. */
public enum Severity {
    ERROR, WARNING, INFO
}
