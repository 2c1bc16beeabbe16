Feature: Who was in charge when people change (责任归属：人员变动)
  A wrong name is a false accusation: a supervisor must see nobody where a post was vacant, the
  leader in personal charge (包案) who was in charge then, and the whole territorial chain of the
  place the matter came from, down to the grid or only as far down as it was given.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file

  Scenario: A 包案 leader replaced by another is named only until the replacement
    Given 伊州区信访局 registered case A on 2026-02-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-02-03
    And 伊州区住房和城乡建设局 put case A in the personal charge (包案) of 陈静 on 2026-02-10
    And 伊州区住房和城乡建设局 put case A in the personal charge (包案) of 王军 on 2026-02-20
    Then on 2026-02-15 the leader in personal charge of case A was 陈静
    And on 2026-02-25 the leader in personal charge of case A was 王军

  Scenario: A 包案 leader who left office is not named after leaving
    Given 伊州区信访局 registered case A on 2026-02-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-02-03
    And 伊州区住房和城乡建设局 put case A in the personal charge (包案) of 王军 on 2026-02-10
    Then on 2026-02-27 the leader in personal charge of case A was 王军
    And on 2026-03-05 case A had no leader in personal charge

  Scenario: While the leader in charge of petition work is not replaced, nobody is named
    Given 伊州区信访局 registered case A on 2026-02-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-02-03
    And 陈静 left the post of leader in charge of petition work of 伊州区住房和城乡建设局 on 2026-03-10
    Then on 2026-03-05 the leader in charge of petition work for case A was 陈静
    And on 2026-03-20 case A had no leader in charge of petition work

  Scenario: A matter located only at township level has a shorter chain
    Given a matter in 东河街道 was registered by 伊州区信访局 as case T on 2026-02-02
    Then on 2026-02-03 the territorial chain of case T was 东河街道 → 伊州区 → 哈密市
